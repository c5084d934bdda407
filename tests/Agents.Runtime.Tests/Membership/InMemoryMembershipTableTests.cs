using Agents.Runtime.Membership;
using Agents.Testing.Membership;

namespace Agents.Runtime.Tests.Membership;

/// <summary>The membership contract, run against the in-memory table.</summary>
public sealed class InMemoryMembershipTableTests()
    : MembershipTableConformanceTests(() => Task.FromResult<IMembershipTable>(new InMemoryMembershipTable()));
