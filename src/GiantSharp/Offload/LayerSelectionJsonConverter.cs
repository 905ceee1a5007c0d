using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GiantSharp.Offload;

/// <summary>Reads a <see cref="LayerSelection"/> from <c>"all"</c>, <c>"none"</c>, an integer, a list or a fraction; writes the same forms.</summary>
internal sealed class LayerSelectionJsonConverter : JsonConverter<LayerSelection>
{
    public override LayerSelection Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString() switch
                {
                    "all" => LayerSelection.All,
                    "none" => LayerSelection.None,
                    var s => throw new JsonException($"offload.layers: expected 'all', 'none', a count, a list or a fraction, got '{s}'"),
                };
            case JsonTokenType.Number:
                var raw = System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
                var isInteger = !raw.Contains('.') && !raw.Contains('e') && !raw.Contains('E');
                return isInteger ? LayerSelection.Last(reader.GetInt32()) : LayerSelection.Share(reader.GetDouble());
            case JsonTokenType.StartArray:
                var layers = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    layers.Add(reader.GetInt32());
                return LayerSelection.Of([.. layers]);
            default:
                throw new JsonException($"offload.layers: expected 'all', 'none', a count, a list or a fraction, got {reader.TokenType}");
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
