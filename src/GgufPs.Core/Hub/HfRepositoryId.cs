using System.Text.RegularExpressions;

namespace GgufPs.Hub;

/// <summary>
/// Repository ids as huggingface_hub's validate_repo_id accepts them: 'owner/name' (or a bare legacy 'name') of
/// letters, digits, '-', '_' and '.', without '--' or '..', at most 96 characters.
/// </summary>
internal static partial class HfRepositoryId
{
    public static string Validate(string repository)
    {
        string id = repository.Trim();
        if (id.Length == 0 || id.Length > 96 || !IdPattern().IsMatch(id) || id.Contains("--", StringComparison.Ordinal) || id.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"'{repository}' is not a repository id: use 'owner/name' (letters, digits, '-', '_' and '.'), such as TheBloke/Llama-2-7B-Chat-GGUF.",
                nameof(repository));
        }
        return id;
    }

    /// <summary>The cache folder of a model repository: models--owner--name (file_download.py's repo_folder_name).</summary>
    public static string CacheFolderName(string repository) => "models--" + repository.Replace("/", "--", StringComparison.Ordinal);

    [GeneratedRegex(@"^([A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+$")]
    private static partial Regex IdPattern();
}
