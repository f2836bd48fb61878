using System.Text.Json;

namespace GgufPs.Conversion;

/// <summary>
/// The general.* authorship and sampling keys, found the way gguf-py's Metadata.load finds them: the model card's
/// front matter, config.json's "_name_or_path", the folder name, and generation_config.json; then the size label
/// from the parameter count when nothing named one.
/// </summary>
internal static class GeneralMetadataWriter
{
    public static void Write(GgufMetadataBuilder metadata, string folder, long totalParameters)
    {
        var card = ModelCard.Load(folder);
        string? name = First(card, "name", "model_name");
        string? author = First(card, "author", "model_author", "model_creator");
        string? version = First(card, "version", "model_version");
        string? organization = First(card, "organization", "model_organization");
        string? description = First(card, "description", "model_description");
        string? finetune = First(card, "finetune", "model_finetune");
        string? basename = First(card, "basename", "model_basename", "model_type");
        string? sizeLabel = First(card, "size_label", "model_size_label");
        string? sourceUrl = First(card, "url", "model_url");
        string? sourceDoi = First(card, "doi", "model_doi");
        string? sourceUuid = First(card, "uuid", "model_uuid");
        string? sourceRepoUrl = First(card, "repo_url", "model_repo_url");

        void Apply(ModelIdComponents c)
        {
            if (name is null && c.FullName is not null) name = ModelNaming.IdToTitle(c.FullName);
            if (organization is null && c.Organization is not null) organization = ModelNaming.IdToTitle(c.Organization);
            basename ??= c.Basename;
            finetune ??= c.Finetune;
            version ??= c.Version;
            sizeLabel ??= c.SizeLabel;
        }

        var config = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "config.json"));
        if (config is not null && config.TryGetValue("_name_or_path", out var nameOrPath) && nameOrPath.ValueKind == JsonValueKind.String
            && nameOrPath.GetString()!.Count(c => c == '/') <= 1)
        {
            // Only a Hugging Face id ("org/model"), not a path on someone's disk.
            Apply(ModelNaming.GetComponents(nameOrPath.GetString(), totalParameters));
        }
        Apply(ModelNaming.GetComponents(new DirectoryInfo(folder).Name, totalParameters));
        name ??= new DirectoryInfo(folder).Name;
        if (sizeLabel is null && totalParameters > 0)
        {
            sizeLabel = ModelNaming.SizeLabel(totalParameters);
        }

        WriteSampling(metadata, folder);
        metadata.String("general.name", name);
        Optional(metadata, "general.author", author);
        Optional(metadata, "general.version", version);
        Optional(metadata, "general.organization", organization);
        Optional(metadata, "general.finetune", finetune);
        Optional(metadata, "general.basename", basename);
        Optional(metadata, "general.description", description);
        Optional(metadata, "general.size_label", sizeLabel);
        var license = card.GetList("license");
        if (license.Count > 0)
        {
            metadata.String("general.license", string.Join(",", license));
        }
        Optional(metadata, "general.license.name", card.GetString("license_name"));
        Optional(metadata, "general.license.link", card.GetString("license_link"));
        Optional(metadata, "general.source.url", sourceUrl);
        Optional(metadata, "general.source.doi", sourceDoi);
        Optional(metadata, "general.source.uuid", sourceUuid);
        Optional(metadata, "general.source.repo_url", sourceRepoUrl);
        WriteSources(metadata, "general.base_model", card.GetList("base_model").Count > 0 ? card.GetList("base_model") : card.GetList("base_models"), totalParameters);
        WriteSources(metadata, "general.dataset", card.GetList("datasets").Count > 0 ? card.GetList("datasets") : card.GetList("dataset"), totalParameters);
        var tags = card.GetList("tags").Concat(card.GetList("pipeline_tag")).ToArray();
        if (tags.Length > 0)
        {
            metadata.Array("general.tags", tags);
        }
        var languages = card.GetList("languages").Concat(card.GetList("language")).ToArray();
        if (languages.Length > 0)
        {
            metadata.Array("general.languages", languages);
        }
    }

    /// <summary>The sampling defaults generation_config.json recommends, as general.sampling.*.</summary>
    private static void WriteSampling(GgufMetadataBuilder metadata, string folder)
    {
        Dictionary<string, JsonElement>? generation;
        try
        {
            generation = SpecialVocabulary.ReadJsonObject(Path.Combine(folder, "generation_config.json"));
        }
        catch (ModelFormatException)
        {
            // gguf-py ignores an unreadable generation_config.json; so do we.
            return;
        }
        if (generation is null)
        {
            return;
        }
        if (generation.TryGetValue("sequence", out var sequence) && sequence.ValueKind == JsonValueKind.String)
        {
            metadata.String("general.sampling.sequence", sequence.GetString()!);
        }
        Integer(metadata, generation, "top_k", "general.sampling.top_k");
        Number(metadata, generation, "top_p", "general.sampling.top_p");
        Number(metadata, generation, "min_p", "general.sampling.min_p");
        Number(metadata, generation, "xtc_probability", "general.sampling.xtc_probability");
        Number(metadata, generation, "xtc_threshold", "general.sampling.xtc_threshold");
        Number(metadata, generation, "temperature", "general.sampling.temp");
        Integer(metadata, generation, "penalty_last_n", "general.sampling.penalty_last_n");
        Number(metadata, generation, "penalty_repeat", "general.sampling.penalty_repeat");
        Integer(metadata, generation, "mirostat", "general.sampling.mirostat");
        Number(metadata, generation, "mirostat_tau", "general.sampling.mirostat_tau");
        Number(metadata, generation, "mirostat_eta", "general.sampling.mirostat_eta");
    }

    private static void WriteSources(GgufMetadataBuilder metadata, string prefix, IReadOnlyList<string> ids, long totalParameters)
    {
        if (ids.Count == 0)
        {
            return;
        }
        metadata.UInt32(prefix + ".count", ids.Count);
        for (int i = 0; i < ids.Count; i++)
        {
            string id = ids[i];
            string? name = null, organization = null, version = null, repoUrl = null;
            if (id.StartsWith("http://", StringComparison.Ordinal) || id.StartsWith("https://", StringComparison.Ordinal) || id.StartsWith("ssh://", StringComparison.Ordinal))
            {
                repoUrl = id;
                var match = System.Text.RegularExpressions.Regex.Match(id, @"^https?://huggingface.co/([^/]+/[^/]+)$");
                if (match.Success)
                {
                    var c = ModelNaming.GetComponents(match.Groups[1].Value, totalParameters);
                    name = c.FullName is null ? null : ModelNaming.IdToTitle(c.FullName);
                    organization = c.Organization is null ? null : ModelNaming.IdToTitle(c.Organization);
                    version = c.Version;
                }
            }
            else
            {
                var c = ModelNaming.GetComponents(id, totalParameters);
                name = c.FullName is null ? null : ModelNaming.IdToTitle(c.FullName);
                organization = c.Organization is null ? null : ModelNaming.IdToTitle(c.Organization);
                version = c.Version;
                if (c.Organization is not null && c.FullName is not null)
                {
                    repoUrl = $"https://huggingface.co/{c.Organization}/{c.FullName}";
                }
            }
            Optional(metadata, $"{prefix}.{i}.name", name);
            Optional(metadata, $"{prefix}.{i}.version", version);
            Optional(metadata, $"{prefix}.{i}.organization", organization);
            Optional(metadata, $"{prefix}.{i}.repo_url", repoUrl);
        }
    }

    private static string? First(ModelCard card, params string[] keys) => keys.Select(card.GetString).FirstOrDefault(v => v is not null);

    private static void Optional(GgufMetadataBuilder metadata, string key, string? value)
    {
        if (value is not null)
        {
            metadata.String(key, value);
        }
    }

    private static void Integer(GgufMetadataBuilder metadata, Dictionary<string, JsonElement> json, string name, string key)
    {
        if (json.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long l))
        {
            metadata.Int32(key, l);
        }
    }

    private static void Number(GgufMetadataBuilder metadata, Dictionary<string, JsonElement> json, string name, string key)
    {
        if (json.TryGetValue(name, out var v) && v.ValueKind == JsonValueKind.Number)
        {
            metadata.Float32(key, v.GetDouble());
        }
    }
}
