using Agents.Runtime.Storage;
using Agents.Storage;
using Agents.Testing.Storage;

namespace Agents.Runtime.Tests.Storage;

/// <summary>The shared storage contract, run against the memory provider.</summary>
public sealed class MemoryGrainStorageConformanceTests()
    : GrainStorageConformanceTests(() => Task.FromResult<IGrainStorage>(new MemoryGrainStorage("Default")));
