namespace Agents.AdoNet.Postgres.Membership;

/// <summary>Rejects unusable <see cref="PostgresMembershipOptions"/> at start-up, naming the <c>Agents:Clustering</c> key.</summary>
/// <param name="configurationPath">The section the options bind from, normally <see cref="PostgresMembershipOptions.SectionName"/>.</param>
public sealed class PostgresMembershipOptionsValidator(string configurationPath = PostgresMembershipOptions.SectionName)
    : PostgresClusterTableOptionsValidator<PostgresMembershipOptions>(configurationPath, PostgresMembershipSchema.LongestTableSuffixLength)
{
    /// <summary>The longest table prefix the membership tables accept.</summary>
    public new const int MaxTablePrefixLength = 63 - PostgresMembershipSchema.LongestTableSuffixLength;
}
