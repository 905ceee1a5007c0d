using System.Text.Json.Serialization;
using GiantSharp.Errors;

namespace GiantSharp.Offload;

/// <summary>
/// Which layers an offload plan streams (M6-10T sec. 3.2: "a chosen part of the layers"). In JSON:
/// <c>"all"</c>, <c>"none"</c>, an integer N (the last N layers), a list of 0-based layer indices, or a
/// fraction f in (0, 1) (the last ceil(f * n_layer) layers). The last layers are the natural choice: they
/// are the first needed by the backward pass, right after the forward pass ends.
/// </summary>
[JsonConverter(typeof(LayerSelectionJsonConverter))]
public sealed record LayerSelection
{
    /// <summary>Every layer.</summary>
    public static LayerSelection All { get; } = new() { Mode = "all" };
    /// <summary>No layer: everything stays resident (the streamed step then only recomputes).</summary>
    public static LayerSelection None { get; } = new() { Mode = "last", Count = 0 };

    /// <summary><c>all</c>, <c>last</c> (<see cref="Count"/>), <c>list</c> (<see cref="Indices"/>) or <c>fraction</c> (<see cref="Fraction"/>).</summary>
    public string Mode { get; init; } = "all";
    /// <summary>For <c>last</c>: how many of the last layers, in [0, n_layer].</summary>
    public int Count { get; init; }
    /// <summary>For <c>list</c>: 0-based layer indices.</summary>
    public IReadOnlyList<int> Indices { get; init; } = [];
    /// <summary>For <c>fraction</c>: share of the layers, in (0, 1], counted from the last.</summary>
    public double Fraction { get; init; }

    /// <summary>The last <paramref name="n"/> layers.</summary>
    public static LayerSelection Last(int n) => new() { Mode = "last", Count = n };
    /// <summary>The given layers.</summary>
    public static LayerSelection Of(params int[] layers) => new() { Mode = "list", Indices = layers };
    /// <summary>The last ceil(<paramref name="f"/> * n_layer) layers.</summary>
    public static LayerSelection Share(double f) => new() { Mode = "fraction", Fraction = f };

    /// <summary>For each of <paramref name="nLayer"/> layers, whether it is selected.</summary>
    /// <exception cref="ConfigException">The selection does not fit n_layer; the message names <paramref name="key"/>.</exception>
    public bool[] Resolve(int nLayer, string key = "offload.layers")
    {
        var selected = new bool[nLayer];
        switch (Mode)
        {
            case "all":
                Array.Fill(selected, true);
                break;
            case "last":
                if (Count < 0 || Count > nLayer) throw new ConfigException(key, $"must be in [0, n_layer = {nLayer}], got {Count}");
                for (int i = nLayer - Count; i < nLayer; i++) selected[i] = true;
                break;
            case "list":
                foreach (var i in Indices)
                {
                    if (i < 0 || i >= nLayer) throw new ConfigException(key, $"layer {i} is outside 0..{nLayer - 1}");
                    if (selected[i]) throw new ConfigException(key, $"layer {i} is listed twice");
                    selected[i] = true;
                }
                break;
            case "fraction":
                if (Fraction is <= 0 or > 1 || double.IsNaN(Fraction)) throw new ConfigException(key, $"a fraction must be in (0, 1], got {Fraction}");
                var n = (int)Math.Ceiling(Fraction * nLayer - 1e-9);
                for (int i = nLayer - n; i < nLayer; i++) selected[i] = true;
                break;
            default:
                throw new ConfigException(key, $"must be 'all', 'none', a count, a list of layers or a fraction, got mode '{Mode}'");
        }
        return selected;
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        "last" => Count.ToString(),
        "list" => $"[{string.Join(", ", Indices)}]",
        "fraction" => Fraction.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        _ => Mode,
    };
}
