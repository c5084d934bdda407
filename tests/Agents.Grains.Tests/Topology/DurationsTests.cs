using Agents.Topology;

namespace Agents.Grains.Tests.Topology;

public class DurationsTests
{
    [Theory]
    [InlineData("250ms", 0, 0, 0, 250)]
    [InlineData("30s", 0, 0, 30, 0)]
    [InlineData("1.5s", 0, 0, 1, 500)]
    [InlineData("5m", 0, 5, 0, 0)]
    [InlineData("1h", 1, 0, 0, 0)]
    [InlineData("1h30m", 1, 30, 0, 0)]
    [InlineData("2m30s", 0, 2, 30, 0)]
    [InlineData(" 30s ", 0, 0, 30, 0)]
    [InlineData("30 s", 0, 0, 30, 0)]
    [InlineData("1h 30m", 1, 30, 0, 0)]
    [InlineData("PT30S", 0, 0, 30, 0)]
    [InlineData("pt30s", 0, 0, 30, 0)]
    [InlineData("PT1H30M", 1, 30, 0, 0)]
    [InlineData("PT0.25S", 0, 0, 0, 250)]
    [InlineData("PT0,25S", 0, 0, 0, 250)]
    [InlineData("P1D", 24, 0, 0, 0)]
    [InlineData("P1W", 168, 0, 0, 0)]
    [InlineData("P1DT1M", 24, 1, 0, 0)]
    [InlineData("0s", 0, 0, 0, 0)]
    public void Parses_short_and_iso_forms(string text, int hours, int minutes, int seconds, int milliseconds)
    {
        Assert.True(Durations.TryParse(text, out var value, out var error), error);
        Assert.Equal(new TimeSpan(0, hours, minutes, seconds, milliseconds), value);
    }

    [Theory]
    [InlineData("", "may not be empty")]
    [InlineData("30", "30 has no unit")]
    [InlineData("30sec", "'sec' is not a unit")]
    [InlineData("s", "expected a number")]
    [InlineData("-1s", "may not be negative")]
    [InlineData("1.2.3s", "not a usable number")]
    [InlineData("P", "no parts")]
    [InlineData("PT", "no parts")]
    [InlineData("P1DT", "'T' must be followed")]
    [InlineData("P1Y", "years and months")]
    [InlineData("P1M", "years and months")]
    [InlineData("PT1D", "'D' is not a designator after 'T'")]
    [InlineData("P1H", "'H' is not a designator before 'T'")]
    [InlineData("PT1S1M", "in the order")]
    [InlineData("PT5", "no designator")]
    [InlineData("99999999999h", "longer than the longest duration")]
    public void Refuses_anything_else_saying_why(string text, string phrase)
    {
        Assert.False(Durations.TryParse(text, out _, out var error));
        Assert.Contains(phrase, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:30", 0, 0, 30, 0)]
    [InlineData("00:00:00.2500000", 0, 0, 0, 250)]
    [InlineData("1.02:00:00", 26, 0, 0, 0)]
    public void Normalizes_to_timespan_c_format(string expected, int hours, int minutes, int seconds, int milliseconds)
    {
        Assert.Equal(expected, Durations.Normalize(new TimeSpan(0, hours, minutes, seconds, milliseconds)));
    }
}
