using System.Text;

namespace Agents.CodeGeneration.Ids;

/// <summary>
/// 32-bit FNV-1a over UTF-8. Ids travel on the wire and must never change for the same input,
/// so this is spelled out here rather than taken from a hash API whose output may vary by platform.
/// </summary>
internal static class Fnv1a
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static uint Hash(string text)
    {
        var hash = OffsetBasis;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= Prime;
        }

        return hash;
    }
}
