using Tangent.Cli;

return Interrupts.RunProcess(args);
