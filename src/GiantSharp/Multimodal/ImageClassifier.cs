using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace GiantSharp.Multimodal;

/// <summary>
/// A small convolutional classifier of grayscale images, the judge of generated images: conv 3x3 (16) - ReLU - max-pool 2,
/// conv 3x3 (32) - ReLU - max-pool 2, linear to 128 features - ReLU, linear to the classes. Its 128 features are the
/// space of the Fréchet distance (<see cref="FrechetDistance"/>), as Inception's pool features are for FID (Heusel et al.
/// 2017). Shapes: images (B, 1, H, W) in [0, 1], H and W divisible by 4 -> logits (B, classes).
/// </summary>
public sealed class ImageClassifier : Module<Tensor, Tensor>
{
    /// <summary>Width of <see cref="Features"/>.</summary>
    public const int FeatureDim = 128;

    private readonly Conv2d conv1;
    private readonly Conv2d conv2;
    private readonly Linear fc1;
    private readonly Linear fc2;

    /// <summary>A freshly initialised classifier of <paramref name="height"/> x <paramref name="width"/> images into <paramref name="classes"/> classes.</summary>
    public ImageClassifier(int height, int width, int classes) : base(nameof(ImageClassifier))
    {
        conv1 = Conv2d(1, 16, 3, padding: 1);
        conv2 = Conv2d(16, 32, 3, padding: 1);
        fc1 = Linear(32L * (height / 4) * (width / 4), FeatureDim);
        fc2 = Linear(FeatureDim, classes);
        RegisterComponents();
    }

    /// <summary>Images (B, 1, H, W) -> features (B, 128), after the last ReLU.</summary>
    public Tensor Features(Tensor x)
    {
        x = functional.max_pool2d(functional.relu(conv1.call(x)), 2);     // (B, 16, H/2, W/2)
        x = functional.max_pool2d(functional.relu(conv2.call(x)), 2);     // (B, 32, H/4, W/4)
        return functional.relu(fc1.call(x.flatten(1)));                   // (B, 128)
    }

    /// <summary>Images (B, 1, H, W) -> logits (B, classes).</summary>
    public override Tensor forward(Tensor x) => fc2.call(Features(x));
}
