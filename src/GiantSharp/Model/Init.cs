using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GiantSharp.Model;

/// <summary>Weight initialisation of GPT-2 (Radford et al. 2019): N(0, std) weights, zero biases.</summary>
internal static class Init
{
    public static void Linear(Linear layer, double std)
    {
        using var _ = no_grad();
        nn.init.normal_(layer.weight, 0.0, std);
        if (layer.bias is not null) nn.init.zeros_(layer.bias);
    }

    public static void Embedding(Embedding layer, double std)
    {
        using var _ = no_grad();
        nn.init.normal_(layer.weight, 0.0, std);
    }
}
