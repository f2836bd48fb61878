using System.Management.Automation.Host;
using System.Text;

namespace GgufPs.Commands;

/// <summary>
/// Reads a line typed at the console key by key, while a <see cref="ControlCInterception"/> makes Ctrl+C a key: so
/// Ctrl+C at the prompt can end a chat at once (Console.ReadLine would wait for Enter after it), and the keys read
/// while an answer is generated are those typed (after the console host's own ReadLine, .NET's Console.KeyAvailable
/// on Linux reports bytes no one typed, PowerShell 7.6).
/// </summary>
internal static class ConsoleLineReader
{
    /// <summary>The line typed, or null for Ctrl+C, or Ctrl+D on an empty line.</summary>
    public static string? ReadLine(PSHostUserInterface ui)
    {
        var line = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            bool control = key.Modifiers.HasFlag(ConsoleModifiers.Control);
            if ((key.Key == ConsoleKey.C && control) || (key.Key == ConsoleKey.D && control && line.Length == 0))
            {
                ui.WriteLine();
                return null;
            }
            if (key.Key == ConsoleKey.Enter || key.KeyChar is '\r' or '\n')
            {
                ui.WriteLine();
                return line.ToString();
            }
            if (key.Key == ConsoleKey.Backspace || key.KeyChar is '\b' or (char)127)
            {
                if (line.Length > 0)
                {
                    line.Length -= line.Length >= 2 && char.IsLowSurrogate(line[^1]) ? 2 : 1;
                    ui.Write("\b \b");
                }
                continue;
            }
            char c = key.KeyChar;
            if (c == '\0' || (char.IsControl(c) && !char.IsSurrogate(c)))
            {
                continue;
            }
            line.Append(c);
            if (char.IsLowSurrogate(c) && line.Length >= 2)
            {
                ui.Write(line.ToString(line.Length - 2, 2));
            }
            else if (!char.IsHighSurrogate(c))
            {
                ui.Write(c.ToString());
            }
        }
    }
}
