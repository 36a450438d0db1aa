using Tangent.Cli;

return TangentCli.Run(args);
