using System.Text.Json;
using System.Text.Json.Serialization;

namespace GiantSharp.Sharing;

/// <summary>Reads a <see cref="SharingPlan"/> from <c>"all"</c>, <c>"none"</c>, <c>"group:4:cycle"</c> or an object; writes an object.</summary>
internal sealed class SharingPlanJsonConverter : JsonConverter<SharingPlan>
{
    public override SharingPlan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            var parts = reader.GetString()!.Split(':');
            return parts.Length switch
            {
                1 => new SharingPlan { Mode = parts[0] },
                _ => new SharingPlan { Mode = parts[0], Groups = int.TryParse(parts[1], out var k) ? k : -1, Order = parts.Length > 2 ? parts[2] : "cycle" },
            };
        }
        using var doc = JsonDocument.ParseValue(ref reader);
        var plan = new SharingPlan();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            plan = p.Name switch
            {
                "mode" => plan with { Mode = p.Value.GetString()! },
                "groups" => plan with { Groups = p.Value.GetInt32() },
                "order" => plan with { Order = p.Value.GetString()! },
                _ => throw new JsonException($"unknown key '{p.Name}' in sharing (mode, groups, order)"),
            };
        }
        return plan;
    }

    public override void Write(Utf8JsonWriter writer, SharingPlan value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("mode", value.Mode);
        if (value.Mode == "group")
        {
            writer.WriteNumber("groups", value.Groups);
            writer.WriteString("order", value.Order);
        }
        writer.WriteEndObject();
    }
}
