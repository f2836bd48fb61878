namespace GgufPs.Workflow;

/// <summary>The checks of an output path before anything is written to it, the same for every command that writes.</summary>
public static class OutputFile
{
    /// <summary>
    /// Refuses a folder, one of <paramref name="inputs"/> (which are never modified) and, unless
    /// <paramref name="overwrite"/>, an existing file.
    /// </summary>
    /// <exception cref="ArgumentException">The output is a folder.</exception>
    /// <exception cref="OutputIsInputException">The output is one of the inputs.</exception>
    /// <exception cref="OutputExistsException">The output exists and may not be replaced.</exception>
    public static void Check(string output, IEnumerable<string> inputs, bool overwrite)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (Directory.Exists(output))
        {
            throw new ArgumentException($"'{output}' is a directory; name the file to write.");
        }
        if (inputs.FirstOrDefault(input => FileSystemPath.AreSame(input, output)) is { } same)
        {
            throw new OutputIsInputException(output, $"The output '{output}' is the input '{same}', and inputs are never modified; write elsewhere.");
        }
        if (!overwrite && File.Exists(output))
        {
            throw new OutputExistsException(output);
        }
    }
}
