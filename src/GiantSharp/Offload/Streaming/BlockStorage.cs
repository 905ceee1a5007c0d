using GiantSharp.Offload.Storage;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GiantSharp.Offload.Streaming;

/// <summary>
/// Points a block's managed parameters (those a <see cref="TensorLayout"/> names) at storage of our choosing, in place (<c>Tensor.set_</c>), so that the model keeps
/// its modules and names while the bytes come and go: hollow (an empty storage), bound to views of a staging
/// buffer, or owning fresh storage again. The ZeRO-3 device of <c>param.data = ...</c> (Rajbhandari et al. 2021).
/// </summary>
internal static class BlockStorage
{
    /// <summary>The block's parameters named in <paramref name="layout"/> (the managed ones), in layout order.</summary>
    /// <exception cref="KeyNotFoundException">The layout names a parameter the block does not have.</exception>
    public static Parameter[] Params(nn.Module block, TensorLayout layout)
    {
        var all = block.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        return layout.Entries.Select(e => all[e.Name]).ToArray();
    }

    /// <summary>Releases the storage of every parameter in <paramref name="layout"/> (each becomes shape (0,)) and drops its gradient; the others are untouched.</summary>
    public static void Hollow(nn.Module block, TensorLayout layout)
    {
        using var _ = no_grad();
        foreach (var p in Params(block, layout))
        {
            using var empty = torch.empty(0, dtype: p.dtype, device: p.device);
            p.set_(empty);
            p.grad = null;
        }
    }

    /// <summary>Points the parameter of entry i at view i of <paramref name="flat"/> (N,) per <paramref name="layout"/>; no copy.</summary>
    public static void Bind(nn.Module block, Tensor flat, TensorLayout layout)
    {
        using var _ = no_grad();
        var ps = Params(block, layout);
        for (int i = 0; i < ps.Length; i++)
        {
            using var view = layout.View(flat, i);
            ps[i].set_(view);
        }
    }

    /// <summary>
    /// Points the gradient of each managed parameter at view i of <paramref name="flat"/> (N,), so that autograd
    /// accumulates into it in place (grad += new, exact where the buffer holds zeros or the earlier micro-batches'
    /// sum); with null, detaches the gradients (grad = null) and leaves the buffer as it is.
    /// </summary>
    public static void BindGradients(nn.Module block, Tensor? flat, TensorLayout layout)
    {
        var ps = Params(block, layout);
        for (int i = 0; i < ps.Length; i++)
        {
            if (flat is null) { ps[i].grad = null; continue; }
            using var view = layout.View(flat, i);
            ps[i].grad = view;
        }
    }

    /// <summary>Gives the parameter of entry i its own storage: the tensor <paramref name="read"/>(i) returns, of the entry's shape (ownership passes to the parameter).</summary>
    public static void Own(nn.Module block, TensorLayout layout, Func<int, Tensor> read)
    {
        using var _ = no_grad();
        var ps = Params(block, layout);
        for (int i = 0; i < ps.Length; i++)
        {
            using var value = read(i);
            ps[i].set_(value);
        }
    }

    /// <summary>Whether <paramref name="t"/> lives on <paramref name="device"/>.</summary>
    public static bool SameDevice(Tensor t, Device device) =>
        t.device_type == device.type && (device.type != TorchSharp.DeviceType.CUDA || t.device_index == Math.Max(device.index, 0));
}
