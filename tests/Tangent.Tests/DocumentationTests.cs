using System.Text;
using System.Text.RegularExpressions;
using Tangent.Cli;
using Xunit.Abstractions;

namespace Tangent.Tests;

/// <summary>
/// The C# examples of the documentation compile and run against the library as it is: every
/// <c>```csharp</c> block of README.md and docs/USER-GUIDE.md goes into one temporary console project
/// with a ProjectReference to src/Tangent/Tangent.csproj, one file per document (its blocks in order,
/// one method: a later block may use what an earlier one defined, as a reader running them would),
/// built with <c>dotnet build -c Release</c> and run; <c>#line</c> directives make compiler errors and
/// stack traces point at the Markdown file and line.
/// </summary>
public sealed partial class DocumentationTests(ITestOutputHelper output)
{
    /// <summary>The documents whose C# blocks are compiled and run, relative to the repository root.</summary>
    private static readonly string[] Documents = ["README.md", Path.Combine("docs", "USER-GUIDE.md")];

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void ExtractionFindsEveryCsharpBlockWithItsFirstLine()
    {
        string markdown = "# T\n\n```csharp\nusing A.B;\nvar x = 1;\n```\n\ntext\n```bash\nls\n```\n```csharp\nConsole.WriteLine(x);\n```\n";
        var blocks = Snippets.Extract(markdown);
        Assert.Equal(2, blocks.Count);
        Assert.Equal(4, blocks[0].FirstLine);
        Assert.Equal(["using A.B;", "var x = 1;"], blocks[0].Lines);
        Assert.Equal(13, blocks[1].FirstLine);
        Assert.Equal(["Console.WriteLine(x);"], blocks[1].Lines);
    }

    [Fact]
    public void AnUnclosedCsharpBlockIsReportedWithItsLine()
    {
        var e = Assert.Throws<FormatException>(() => Snippets.Extract("a\n```csharp\nvar x = 1;\n"));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsingDirectivesAreHoistedAndStatementsKeepTheirMarkdownLines()
    {
        var blocks = new List<Snippets.Block>
        {
            new(10, ["using Tangent.Data;   // comment", "using var s = new MemoryStream();", "var x = 1;"]),
            new(20, ["using static System.Math;", "Console.WriteLine(Sqrt(x));"]),
        };
        string source = Snippets.Generate("/r/README.md", "Readme", blocks);
        Assert.Contains("using Tangent.Data;   // comment\n", source, StringComparison.Ordinal);
        Assert.Contains("using static System.Math;\n", source, StringComparison.Ordinal);
        Assert.Contains("#line 10 \"/r/README.md\"\n\nusing var s = new MemoryStream();\nvar x = 1;\n", source, StringComparison.Ordinal);
        Assert.Contains("#line 20 \"/r/README.md\"\n\nConsole.WriteLine(Sqrt(x));\n", source, StringComparison.Ordinal);
        Assert.True(source.IndexOf("using Tangent.Data;", StringComparison.Ordinal) < source.IndexOf("internal static class Readme", StringComparison.Ordinal));
    }

    [Fact]
    public void TheReadmeHasCsharpExamplesToCheck()
    {
        var blocks = Snippets.Extract(File.ReadAllText(Path.Combine(DotnetProcess.RepositoryRoot(), "README.md")));
        Assert.True(blocks.Count >= 2, $"README.md has {blocks.Count} ```csharp blocks; the C# API section should have at least 2.");
    }

    [Fact]
    public void HelpShowsTheCommandAsTangent()
    {
        var help = new StringWriter();
        int code = TangentCli.Run(["--help"], help, new StringWriter());
        Assert.Equal(0, code);
        string text = help.ToString();
        Assert.Contains("Usage:", text, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"Usage:\s+tangent \[command\]"), text);
        var sub = new StringWriter();
        Assert.Equal(0, TangentCli.Run(["info", "--help"], sub, new StringWriter()));
        Assert.Matches(new Regex(@"Usage:\s+tangent info"), sub.ToString());
    }

    [SkippableFact]
    [Trait("Category", "Slow")]
    public void EveryCsharpExampleOfTheDocsBuildsAndRuns()
    {
        Skip.If(!DotnetProcess.IsOnPath(), "the dotnet command is not on PATH; the documentation examples were not compiled.");
        string root = DotnetProcess.RepositoryRoot();
        string dir = Path.Combine(Path.GetTempPath(), "tangent-doc-examples-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var classes = new List<(string Document, string Class)>();
            foreach (string doc in Documents)
            {
                string path = Path.Combine(root, doc);
                if (!File.Exists(path)) continue;
                var blocks = Snippets.Extract(File.ReadAllText(path));
                if (blocks.Count == 0) continue;
                string cls = "Doc" + classes.Count + "_" + NonIdentifier().Replace(Path.GetFileNameWithoutExtension(doc), "_");
                File.WriteAllText(Path.Combine(dir, cls + ".cs"), Snippets.Generate(path, cls, blocks));
                classes.Add((doc, cls));
            }
            Assert.NotEmpty(classes);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), Snippets.Program(classes));
            File.WriteAllText(Path.Combine(dir, "DocExamples.csproj"), Snippets.Project(Path.Combine(root, "src", "Tangent", "Tangent.csproj")));

            var build = DotnetProcess.Run(dir, BuildTimeout, "build", Path.Combine(dir, "DocExamples.csproj"), "-c", "Release", "-nologo",
                "-v", "q", "-nodeReuse:false", "-p:UseSharedCompilation=false");
            Assert.False(build.TimedOut, $"dotnet build of the documentation examples did not finish within {BuildTimeout.TotalMinutes} minutes.");
            Assert.True(build.ExitCode == 0, "The documentation's C# examples do not compile (file(line) below is the Markdown file):\n"
                + string.Join('\n', (build.Out + build.Err).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Distinct().Take(30)));

            var run = DotnetProcess.Run(dir, RunTimeout, Path.Combine(dir, "bin", "Release", "net10.0", "DocExamples.dll"));
            Assert.False(run.TimedOut, $"The documentation's C# examples did not finish within {RunTimeout.TotalMinutes} minutes.");
            Assert.True(run.ExitCode == 0, $"The documentation's C# examples exited {run.ExitCode}:\n{Tail(run.Err, 4000)}\n{Tail(run.Out, 2000)}");
            output.WriteLine(run.Out);
            foreach (var (doc, _) in classes)
                Assert.Contains("ok " + doc, run.Out, StringComparison.Ordinal);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static string Tail(string s, int chars) => s.Length <= chars ? s : s[^chars..];

    [GeneratedRegex("[^A-Za-z0-9_]")]
    private static partial Regex NonIdentifier();

    /// <summary>Extraction of the C# blocks and generation of the example project.</summary>
    internal static partial class Snippets
    {
        /// <summary>A ```csharp block: its lines and the 1-based line of the Markdown file where its first line is.</summary>
        internal sealed record Block(int FirstLine, IReadOnlyList<string> Lines);

        /// <summary>The ```csharp blocks of a Markdown text, in order.</summary>
        public static List<Block> Extract(string markdown)
        {
            var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
            var blocks = new List<Block>();
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].TrimEnd() != "```csharp") continue;
                int start = i + 1, end = start;
                while (end < lines.Length && lines[end].TrimEnd() != "```") end++;
                if (end == lines.Length)
                    throw new FormatException($"The ```csharp block opened at line {i + 1} is never closed; add a line ``` after it.");
                blocks.Add(new Block(start + 1, lines[start..end]));
                i = end;
            }
            return blocks;
        }

        /// <summary>One class whose <c>Run</c> method holds the blocks in order, using directives hoisted to the top.</summary>
        public static string Generate(string markdownPath, string className, IReadOnlyList<Block> blocks)
        {
            var usings = new List<string>();
            var body = new StringBuilder();
            string quoted = markdownPath.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            foreach (var block in blocks)
            {
                body.Append("#line ").Append(block.FirstLine).Append(" \"").Append(quoted).Append("\"\n");
                foreach (string line in block.Lines)
                {
                    if (UsingDirective().IsMatch(line))
                    {
                        if (!usings.Contains(line.Trim())) usings.Add(line.Trim());
                        body.Append('\n');   // keeps the line numbers
                    }
                    else
                    {
                        body.Append(line).Append('\n');
                    }
                }
            }
            var sb = new StringBuilder();
            sb.Append("// <auto-generated/> from ").Append(markdownPath).Append('\n');
            foreach (string u in usings) sb.Append(u).Append('\n');
            sb.Append("\nnamespace DocExamples;\n\ninternal static class ").Append(className).Append("\n{\n    public static void Run()\n    {\n");
            sb.Append(body);
            sb.Append("#line default\n    }\n}\n");
            return sb.ToString();
        }

        /// <summary>The entry point: runs each document's examples in turn, prints "ok DOC" or the exception.</summary>
        public static string Program(IReadOnlyList<(string Document, string Class)> classes)
        {
            var sb = new StringBuilder("int failed = 0;\n");
            foreach (var (doc, cls) in classes)
            {
                string name = doc.Replace("\\", "/", StringComparison.Ordinal);
                sb.Append("try { DocExamples.").Append(cls).Append(".Run(); Console.WriteLine(\"ok ").Append(name).Append("\"); }\n");
                sb.Append("catch (Exception e) { Console.Error.WriteLine(\"FAILED ").Append(name).Append(": \" + e); failed++; }\n");
            }
            sb.Append("return failed == 0 ? 0 : 1;\n");
            return sb.ToString();
        }

        /// <summary>A console project outside the repository (so none of its build settings apply) referencing the library.</summary>
        public static string Project(string libraryProject) => $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <AssemblyName>DocExamples</AssemblyName>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{libraryProject}" />
              </ItemGroup>
            </Project>
            """;

        /// <summary>A using directive (not a using declaration or statement), with an optional trailing comment.</summary>
        [GeneratedRegex(@"^\s*using\s+(static\s+)?[A-Za-z_][\w.]*(\s*=\s*[\w.<>, ]+)?\s*;\s*(//.*)?$")]
        private static partial Regex UsingDirective();
    }
}
