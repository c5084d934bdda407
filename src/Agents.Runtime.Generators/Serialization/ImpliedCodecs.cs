using System.Collections.Generic;
using Agents.CodeGeneration.Ids;
using Agents.CodeGeneration.Model;

namespace Agents.CodeGeneration.Serialization;

/// <summary>
/// Codecs for the records of this assembly that grain methods or [GenerateSerializer] types send
/// without marking them [GenerateSerializer]: a record is data, so it travels like a marked one
/// (positional parameters take their position as field id). The manifest dedupes them.
/// </summary>
internal static class ImpliedCodecs
{
    /// <summary>Plans every record the classifier found; planning one may find more (its members), so the list is walked as it grows.</summary>
    public static EquatableArray<CodecModel> Plan(CodecClassifier classifier)
    {
        var models = new List<CodecModel>();
        for (var i = 0; i < classifier.ImpliedRecords.Count; i++)
        {
            var record = classifier.ImpliedRecords[i];
            var typeOf = "typeof(" + Identifiers.TypeWithoutAnnotation(record) + ")";
            if (CodecPlanner.Plan(record, Identifiers.Alias(record) ?? StableIds.TypeName(record), typeOf, classifier, reportUnsupported: null, out _) is { } model)
            {
                models.Add(model);
            }
        }

        return models.ToEquatableArray();
    }
}
