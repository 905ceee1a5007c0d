using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GiantSharp.Config;

/// <summary>
/// Reads a JSON number as a double and refuses one too large to be finite (<c>1e400</c> parses as infinity, which
/// passes every range check and fails later, e.g. in the JSON writer of a checkpoint).
/// </summary>
internal sealed class FiniteDoubleConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetDouble();
        if (!double.IsFinite(value))
            throw new JsonException($"must be a finite number, got {Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray())}");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
