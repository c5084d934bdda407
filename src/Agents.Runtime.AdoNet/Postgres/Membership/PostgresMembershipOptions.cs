namespace Agents.AdoNet.Postgres.Membership;

/// <summary>
/// Settings of the PostgreSQL membership table, bound from <c>Agents:Clustering</c>. Checked at
/// start-up by <see cref="PostgresMembershipOptionsValidator"/>.
/// </summary>
public sealed class PostgresMembershipOptions : PostgresClusterTableOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Agents:Clustering";
}
