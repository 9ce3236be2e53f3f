namespace Probes.Probing;

/// <summary>Where a probe's Lanczos runs start (the <c>warm_lag</c> column).</summary>
public enum WarmLag
{
    /// <summary>No earlier probe: seeded random block.</summary>
    Cold = 0,
    /// <summary>The last probe's vectors (smooth drift).</summary>
    Last = 1,
    /// <summary>
    /// 2·v(t−s) − v(t−2s), signs aligned, normalised: the last two probes, s steps apart (s &gt; 1), extrapolated
    /// (the smooth drift of sparse probes during progressive sharpening).
    /// </summary>
    Trend = 3,
    /// <summary>The vectors of t − 2 (period-2 motion, two probes seen).</summary>
    TwoBack = 2,
    /// <summary>2·v(t−2) − v(t−4), signs aligned, normalised (period-2 motion, four probes seen).</summary>
    Extrapolated = 4,
}
