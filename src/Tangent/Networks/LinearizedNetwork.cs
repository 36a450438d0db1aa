using Tangent.Numerics;

namespace Tangent.Networks;

/// <summary>
/// The linearized network (Lee et al. 2019, eq. 6): the first-order Taylor expansion in the parameters
/// around the initialisation θ₀, f_lin(x) = f₀(x) + J(x)·(θ − θ₀), trained by full-batch gradient descent
/// on the MSE loss 1/(2N)·Σ(f_lin − y)². Its training follows the empirical-NTK dynamics exactly; as the
/// width grows it approaches the network trained for real. The Jacobian is materialised
/// (<see cref="Network.Jacobian"/>): meant for small problems.
/// </summary>
public sealed class LinearizedNetwork
{
    private readonly Network _network;
    private readonly double[] _theta0;
    private readonly double[] _dTheta;

    /// <summary>Linearizes <paramref name="network"/> at its current parameters (it is copied).</summary>
    public LinearizedNetwork(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network.Clone();
        _theta0 = _network.GetParameters();
        _dTheta = new double[_theta0.Length];
    }

    /// <summary>θ − θ₀ (a copy).</summary>
    public double[] Displacement => (double[])_dTheta.Clone();

    /// <summary>f_lin(X) = f₀(X) + J(X)·(θ − θ₀), n×k.</summary>
    public Matrix Predict(Matrix x)
    {
        var f0 = _network.Predict(x);
        var jac = _network.Jacobian(x);
        var step = LinearAlgebra.Multiply(jac, new Matrix(_dTheta.Length, 1, _dTheta));
        for (int k = 0; k < f0.Data.Length; k++) f0.Data[k] += step.Data[k];
        return f0;
    }

    /// <summary>Gradient descent on the MSE loss for <paramref name="steps"/> steps at rate <paramref name="learningRate"/>; returns the final loss.</summary>
    /// <exception cref="ArgumentException">Shapes disagree, or the loss became non-finite.</exception>
    public double Train(Matrix x, Matrix y, double learningRate, int steps)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var jac = _network.Jacobian(x);
        var f0 = _network.Predict(x);
        if (y.Rows != f0.Rows || y.Cols != f0.Cols)
            throw new ArgumentException($"Targets are {y.Shape} but the network gives {f0.Shape}: one row per input, one column per output.", nameof(y));
        double n = y.Data.Length, loss = 0;
        var dt = new Matrix(_dTheta.Length, 1, _dTheta);
        for (int s = 0; s <= steps; s++)
        {
            var f = LinearAlgebra.Multiply(jac, dt);
            var r = new Matrix(f.Rows, 1);
            loss = 0;
            for (int k = 0; k < r.Data.Length; k++)
            {
                r.Data[k] = f.Data[k] + f0.Data[k] - y.Data[k];
                loss += r.Data[k] * r.Data[k];
            }
            loss /= 2 * n;
            if (!double.IsFinite(loss)) throw new ArgumentException($"The linearized loss became {loss} at step {s}: lower the learning rate {learningRate}.", nameof(learningRate));
            if (s == steps) break;
            var g = LinearAlgebra.Multiply(jac, r, Op.Transpose);
            for (int k = 0; k < _dTheta.Length; k++) _dTheta[k] -= learningRate / n * g.Data[k];
        }
        return loss;
    }
}
