namespace GgufPs.Generation;

/// <summary>A chat template that is neither a built-in name nor a text llama.cpp's rules recognise; the message lists the built-in names.</summary>
public sealed class UnknownChatTemplateException : ArgumentException
{
    public UnknownChatTemplateException(string template, string message)
        : base(message)
    {
        Template = template;
    }

    /// <summary>The name or template text as it was given.</summary>
    public string Template { get; }
}
