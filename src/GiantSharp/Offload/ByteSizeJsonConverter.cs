using System.Text.Json;
using System.Text.Json.Serialization;

namespace GiantSharp.Offload;

/// <summary>Reads a byte count from a size string (<c>"1GiB"</c>, see <see cref="ByteSize"/>) or a whole JSON number of bytes; writes the shortest exact string.</summary>
internal sealed class ByteSizeJsonConverter : JsonConverter<long?>
{
    public override bool HandleNull => false;

    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
            _ => throw new JsonException($"expected {ByteSize.Expected}, got {reader.TokenType.ToString().ToLowerInvariant()}"),
        };
        return ByteSize.TryParse(text) ?? throw new JsonException($"expected {ByteSize.Expected}, got '{text}'");
    }

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v) writer.WriteStringValue(ByteSize.Format(v));
        else writer.WriteNullValue();
    }
}
