using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GiantSharp.Offload;

/// <summary>Reads a <see cref="LayerSelection"/> from <c>"all"</c>, <c>"none"</c>, an integer, a list or a fraction; writes the same forms.</summary>
internal sealed class LayerSelectionJsonConverter : JsonConverter<LayerSelection>
{
    /// <summary>What the key accepts, for error messages.</summary>
    public const string Expected = "expected 'all', 'none', a count N (the last N layers), a list of layer indices or a fraction in (0, 1]";

    public override LayerSelection Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString() switch
                {
                    "all" => LayerSelection.All,
                    "none" => LayerSelection.None,
                    var s => throw new JsonException($"{Expected}, got '{s}'"),
                };
            case JsonTokenType.Number:
                var raw = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                var isInteger = !raw.Contains('.') && !raw.Contains('e') && !raw.Contains('E');
                if (!isInteger) return LayerSelection.Share(reader.GetDouble());
                return reader.TryGetInt32(out var count) ? LayerSelection.Last(count) : throw new JsonException($"{Expected}, got {raw}");
            case JsonTokenType.StartArray:
                var layers = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    layers.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var layer) ? layer
                        : throw new JsonException($"{Expected}: list items must be layer indices, got {reader.TokenType.ToString().ToLowerInvariant()}"));
                return LayerSelection.Of([.. layers]);
            default:
                throw new JsonException($"{Expected}, got {reader.TokenType.ToString().ToLowerInvariant()}");
        }
    }

    public override void Write(Utf8JsonWriter writer, LayerSelection value, JsonSerializerOptions options)
    {
        switch (value.Mode)
        {
            case "last": writer.WriteNumberValue(value.Count); break;
            case "fraction": writer.WriteRawValue(value.Fraction.ToString("0.0###############", CultureInfo.InvariantCulture)); break;
            case "list":
                writer.WriteStartArray();
                foreach (var i in value.Indices) writer.WriteNumberValue(i);
                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(value.Mode); break;
        }
    }
}
