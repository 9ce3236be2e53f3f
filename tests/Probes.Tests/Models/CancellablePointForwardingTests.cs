using Probes.Models;
using Xunit;
using static TorchSharp.torch;

namespace Probes.Tests;

/// <summary>
/// <see cref="CancellablePoint"/> forwards every member of the point interface, defaults included: an inherited default would
/// silently replace the wrapped point's own (a cross-entropy point's g and Λ, its third-order product).
/// </summary>
public class CancellablePointForwardingTests
{
    [Fact]
    public void EveryInterfaceMemberIsImplementedByTheWrapperItself()
    {
        var map = typeof(CancellablePoint).GetInterfaceMap(typeof(IDifferentiablePoint));
        var inherited = map.TargetMethods.Where(m => m.DeclaringType != typeof(CancellablePoint)).Select(m => m.Name).ToList();
        Assert.True(inherited.Count == 0, $"CancellablePoint inherits the interface's defaults for {string.Join(", ", inherited)}");
    }

    [Fact]
    public void ACrossEntropyPointWrappedGivesItsOwnGradientCurvatureAndThirdOrder()
    {
        using var net = new TinyNetwork(n: 4);
        var y = TorchSharp.torch.nn.functional.one_hot(net.Y.argmax(1), 3).to(float64);
        using var inner = new Training.Model.MlpPoint(net.Model, net.X, y, loss: ILoss.Named["ce"]);
        using var wrapped = new CancellablePoint(inner, CancellationToken.None);
        var v = randn([inner.OutputSize], float64, generator: new TorchSharp.torch.Generator(1));
        var w = randn([inner.ParameterSize], float64, generator: new TorchSharp.torch.Generator(2));
        Assert.Equal(inner.LossGradient.data<double>().ToArray(), ((IDifferentiablePoint)wrapped).LossGradient.data<double>().ToArray());
        Assert.Equal(inner.LossCurvature(v).data<double>().ToArray(), ((IDifferentiablePoint)wrapped).LossCurvature(v).data<double>().ToArray());
        IDifferentiablePoint outer = wrapped;
        Assert.Equal(inner.LossThirdOrder(w, w).data<double>().ToArray(), outer.LossThirdOrder(w, w).data<double>().ToArray());
        Assert.NotEqual(inner.Residual.data<double>().ToArray(), inner.LossGradient.data<double>().ToArray());
    }
}
