using Tangent.Numerics;

namespace Tangent.Networks;

public sealed partial class Network
{
    /// <summary>
    /// The empirical NTK Θ̂(X1, X2) = J_o(X1)·J_o(X2)ᵀ of output <paramref name="output"/> over all
    /// parameters (docs/MATH.md §3), contracted layer by layer without forming the Jacobian: a dense layer
    /// z = s·W·h + sb·b contributes (s²·h(x)·h(x') + sb²)·(δ(x)·δ(x')), δ = ∂f_o/∂z, which is two GEMMs
    /// (n1×n_in×n2 and n1×n_out×n2) per layer.
    /// </summary>
    /// <param name="x1">n1×d inputs.</param>
    /// <param name="x2">n2×d inputs, or null for x1 (then symmetric Gram products are used).</param>
    /// <param name="output">Which output f_o.</param>
    public Matrix Ntk(Matrix x1, Matrix? x2 = null, int output = 0)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(output, Outputs);
        bool sym = x2 is null;
        var x = sym ? x1 : Stack(x1, x2!);
        int n1 = x1.Rows;
        var cache = new List<Matrix>();
        Forward(x, cache);
        var delta = new Matrix(x.Rows, Outputs);
        for (int a = 0; a < x.Rows; a++) delta[a, output] = 1;
        var ntk = new Matrix(n1, sym ? n1 : x2!.Rows);
        for (int i = _steps.Length - 1; i >= 0; i--)
        {
            var h = cache[i];
            switch (_steps[i])
            {
                case DenseStep d:
                    var hh = Cross(h, n1, sym);
                    var dd = Cross(delta, n1, sym);
                    double s2 = d.Scale * d.Scale, b2 = d.B is null ? 0 : d.BiasScale * d.BiasScale;
                    var t = ntk.Data; var hd = hh.Data; var ddd = dd.Data;
                    for (int k = 0; k < t.Length; k++) t[k] += (s2 * hd[k] + b2) * ddd[k];
                    if (i > 0)
                    {
                        delta = d.BackInput(delta);
                    }
                    break;
                case ActivationStep act:
                    delta = act.BackwardDelta(h, delta);
                    break;
            }
        }
        return ntk;
    }

    /// <summary>The empirical NNGP f(X1)·f(X2)ᵀ/k over the k outputs (of one network: a single draw of the kernel).</summary>
    public Matrix Nngp(Matrix x1, Matrix? x2 = null)
    {
        var f1 = Predict(x1);
        var g = x2 is null ? LinearAlgebra.Gram(f1) : LinearAlgebra.Multiply(f1, Predict(x2), Op.None, Op.Transpose);
        Scale(g, 1.0 / Outputs);
        return g;
    }

    /// <summary>
    /// The Jacobian ∂f(x_a)_o/∂θ as an (n·k)×P matrix (row a·k + o; columns in the layout of
    /// <see cref="GetParameters"/>). Materialised: meant for small problems (the linearized network,
    /// tests against the contracted <see cref="Ntk"/>).
    /// </summary>
    public Matrix Jacobian(Matrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int n = x.Rows, k = Outputs, p = ParameterCount;
        var jac = new Matrix(n * k, p);
        var cache = new List<Matrix>();
        Forward(x, cache);
        for (int o = 0; o < k; o++)
        {
            var delta = new Matrix(n, k);
            for (int a = 0; a < n; a++) delta[a, o] = 1;
            int end = p;
            for (int i = _steps.Length - 1; i >= 0; i--)
            {
                var h = cache[i];
                switch (_steps[i])
                {
                    case DenseStep d:
                        int nOut = d.W.Rows, nIn = d.W.Cols;
                        int bOff = d.B is null ? end : end - nOut;
                        int wOff = bOff - nOut * nIn;
                        for (int a = 0; a < n; a++)
                        {
                            var row = jac.Row(a * k + o);
                            var dr = delta.Row(a); var hr = h.Row(a);
                            for (int u = 0; u < nOut; u++)
                            {
                                double du = d.Scale * dr[u];
                                if (du == 0) continue;
                                var w = row.Slice(wOff + u * nIn, nIn);
                                for (int v = 0; v < nIn; v++) w[v] = du * hr[v];
                            }
                            if (d.B is not null) for (int u = 0; u < nOut; u++) row[bOff + u] = d.BiasScale * dr[u];
                        }
                        end = wOff;
                        if (i > 0)
                        {
                            delta = d.BackInput(delta);
                        }
                        break;
                    case ActivationStep act:
                        delta = act.BackwardDelta(h, delta);
                        break;
                }
            }
        }
        return jac;
    }

    private static Matrix Cross(Matrix m, int n1, bool sym)
    {
        if (sym) return LinearAlgebra.Gram(m);
        var a = m.SliceRows(0, n1);
        var b = m.SliceRows(n1, m.Rows - n1);
        return LinearAlgebra.Multiply(a, b, Op.None, Op.Transpose);
    }

    internal static Matrix Stack(Matrix a, Matrix b)
    {
        if (a.Cols != b.Cols) throw new ArgumentException($"X1 is {a.Shape} and X2 is {b.Shape}: both must have the same number of columns.");
        var m = new Matrix(a.Rows + b.Rows, a.Cols);
        a.Data.CopyTo(m.Data, 0);
        b.Data.CopyTo(m.Data, a.Data.Length);
        return m;
    }
}
