using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Agents.Runtime.Membership;
using Npgsql;
using NpgsqlTypes;

namespace Agents.AdoNet.Postgres.Membership;

/// <summary>
/// Turns <see cref="MembershipEntry"/> values into the statements' parameters and read rows back
/// into entries. Suspicions are stored as readable <c>jsonb</c>:
/// <c>[{"suspecter": "10.0.0.5:11111@42", "time": "2026-01-02T03:04:05.0000000+00:00"}]</c>.
/// </summary>
internal static class PostgresMembershipRowCodec
{
    /// <summary>Where the row columns start in a read (after version, version ETag and server time).</summary>
    public const int FirstRowColumn = 3;

    /// <summary>Adds $1-$4: the cluster and the silo's key.</summary>
    public static void AddKey(NpgsqlParameterCollection parameters, string clusterId, SiloAddress silo)
    {
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = clusterId });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = silo.Host });
        parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = silo.Port });
        parameters.Add(new NpgsqlParameter<long> { NpgsqlDbType = NpgsqlDbType.Bigint, TypedValue = silo.Generation });
    }

    /// <summary>Adds $1-$12: the key, every field of <paramref name="entry"/>, and the row's new ETag.</summary>
    public static void AddRow(NpgsqlParameterCollection parameters, string clusterId, MembershipEntry entry, Guid etag)
    {
        AddKey(parameters, clusterId, entry.Silo);
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = entry.Status.ToString() });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = entry.SiloName ?? string.Empty });
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text, TypedValue = entry.Role ?? string.Empty });
        parameters.Add(new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer, TypedValue = entry.GatewayPort });
        parameters.Add(Time(entry.StartTime));
        parameters.Add(Time(entry.IAmAliveTime));
        parameters.Add(new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Jsonb, TypedValue = EncodeSuspicions(entry.Suspicions) });
        parameters.Add(new NpgsqlParameter<Guid> { NpgsqlDbType = NpgsqlDbType.Uuid, TypedValue = etag });

        // Unset (default) times are sent as NULL, for the server's clock to fill in.
        static NpgsqlParameter Time(DateTimeOffset time) => time == default
            ? new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = DBNull.Value }
            : new NpgsqlParameter<DateTimeOffset> { NpgsqlDbType = NpgsqlDbType.TimestampTz, TypedValue = time.ToUniversalTime() };
    }

    /// <summary>
    /// The silo row at the reader's position, or null when the read found none (the outer join's
    /// empty side). A row whose status or suspicions cannot be read raises <see cref="FormatException"/>
    /// naming the silo; the caller adds the table and cluster.
    /// </summary>
    public static VersionedEntry? Decode(NpgsqlDataReader reader)
    {
        const int c = FirstRowColumn;
        if (reader.IsDBNull(c))
        {
            return null;
        }

        var silo = new SiloAddress(reader.GetString(c), reader.GetInt32(c + 1), reader.GetInt64(c + 2));
        var statusText = reader.GetString(c + 3);
        if (!Enum.TryParse<SiloStatus>(statusText, ignoreCase: false, out var status) || !string.Equals(status.ToString(), statusText, StringComparison.Ordinal))
        {
            throw new FormatException($"the row of silo {silo} has status '{statusText}', which is not a silo status ({string.Join(", ", Enum.GetNames<SiloStatus>())})");
        }

        var entry = new MembershipEntry(silo, status)
        {
            SiloName = reader.GetString(c + 4),
            Role = reader.GetString(c + 5),
            GatewayPort = reader.GetInt32(c + 6),
            StartTime = reader.GetFieldValue<DateTimeOffset>(c + 7),
            IAmAliveTime = reader.GetFieldValue<DateTimeOffset>(c + 8),
            Suspicions = DecodeSuspicions(silo, reader.GetString(c + 9)),
        };
        return new VersionedEntry(entry, FormatETag(reader.GetGuid(c + 10)));
    }

    public static string FormatETag(Guid etag) => etag.ToString("N", CultureInfo.InvariantCulture);

    /// <summary>An ETag this provider issued, or null for anything else (which then matches no row).</summary>
    public static Guid? ParseETag(string? etag) =>
        Guid.TryParseExact(etag, "N", out var value) ? value : null;

    public static string EncodeSuspicions(ImmutableArray<SuspicionVote> suspicions)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var vote in suspicions.IsDefault ? [] : suspicions)
            {
                writer.WriteStartObject();
                writer.WriteString("suspecter", vote.Suspecter.ToString());
                writer.WriteString("time", vote.Time.ToUniversalTime());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static ImmutableArray<SuspicionVote> DecodeSuspicions(SiloAddress silo, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException($"expected a JSON array, found {document.RootElement.ValueKind}");
            }

            var votes = ImmutableArray.CreateBuilder<SuspicionVote>(document.RootElement.GetArrayLength());
            foreach (var vote in document.RootElement.EnumerateArray())
            {
                if (vote.ValueKind != JsonValueKind.Object
                    || !vote.TryGetProperty("suspecter", out var suspecter) || suspecter.ValueKind != JsonValueKind.String
                    || !vote.TryGetProperty("time", out var time) || !time.TryGetDateTimeOffset(out var at))
                {
                    throw new FormatException($"vote {votes.Count} is not {{\"suspecter\": \"host:port@generation\", \"time\": \"<ISO 8601>\"}}");
                }

                votes.Add(new SuspicionVote(SiloAddress.Parse(suspecter.GetString()!), at));
            }

            return votes.MoveToImmutable();
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new FormatException($"the suspicions of silo {silo} are unreadable ({ex.Message}): {Shorten(json)}", ex);
        }

        static string Shorten(string text) => text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "...");
    }
}
