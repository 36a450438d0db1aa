using System.CommandLine;
using System.Reflection;
using Tangent.Numerics;

namespace Tangent.Cli;

/// <summary>`tangent info`: version, provider in use, threads.</summary>
internal static class InfoCommand
{
    public static Command Create(TextWriter output)
    {
        var cmd = new Command("info", "Print the library version, the linear-algebra provider in use and the threads.");
        var provider = CommonOptions.Provider();
        cmd.Options.Add(provider);
        cmd.SetAction(r =>
        {
            CommonOptions.ApplyProvider(r.GetValue(provider));
            var version = typeof(LinearAlgebra).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            output.WriteLine($"Tangent {version.Split('+')[0]}");
            output.WriteLine($"runtime:   .NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
            output.WriteLine($"provider:  {LinearAlgebra.Provider.Name} — {LinearAlgebra.Provider.Description}");
            output.WriteLine($"native:    {(NativeProvider.Instance is { } n ? "available (" + n.LibraryPath + ")" : "unavailable — " + NativeProvider.UnavailableReason)}");
            output.WriteLine($"threads:   {Environment.ProcessorCount} (managed), SIMD {System.Numerics.Vector<double>.Count}×f64, AVX-512 {(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated ? "yes" : "no")}");
            output.WriteLine($"selection: --provider option, else ${LinearAlgebra.EnvironmentVariable} (managed|native|auto), else auto");
            return TangentCli.Ok;
        });
        return cmd;
    }
}
