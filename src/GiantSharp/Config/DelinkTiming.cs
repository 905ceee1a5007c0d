using System.Text.Json.Serialization;

namespace GiantSharp.Config;

/// <summary>When a stage that shares layers hands over to the delinking stage after it (JSON key <c>delink.when</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DelinkTiming>))]
public enum DelinkTiming
{
    /// <summary>At the end of the sharing stage, after its configured steps (<c>"scheduled"</c>).</summary>
    [JsonStringEnumMemberName("scheduled")] Scheduled,
    /// <summary>
    /// As soon as the layers sharing a block stop agreeing on its gradient (<c>"auto"</c>): mean
    /// <see cref="Sharing.GradientAgreement"/> below <see cref="DelinkConfig.Threshold"/> on
    /// <see cref="DelinkConfig.Patience"/> checks in a row, checked every <see cref="DelinkConfig.CheckEvery"/> steps
    /// (Yang et al. 2021); the sharing stage's steps are then a maximum, and what it leaves goes to the next stage.
    /// </summary>
    [JsonStringEnumMemberName("auto")] Auto,
}
