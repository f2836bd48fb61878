using System.Management.Automation;
using GgufPs.Hub;

namespace GgufPs.Commands;

/// <summary>
/// Find-HfModel: searches the Hub's models (/api/models, huggingface_hub's list_models) by text, author and tag, sorted
/// by downloads, likes or last change, following the Link header for more pages; results stream as they come.
/// </summary>
[Cmdlet(VerbsCommon.Find, "HfModel")]
[OutputType(typeof(HfModelSearchResult))]
public sealed class FindHfModelCommand : LongRunningCommand
{
    [Parameter(Position = 0)]
    public string? Search { get; set; }

    [Parameter]
    public string? Author { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Filter { get; set; } = [];

    [Parameter]
    public HfModelSort Sort { get; set; } = HfModelSort.Downloads;

    [Parameter]
    [ValidateRange(1, int.MaxValue)]
    public int First { get; set; } = 100;

    [Parameter]
    public string? Token { get; set; }

    [Parameter]
    public string? Endpoint { get; set; }

    protected override void EndProcessing()
    {
        ReportCoreErrors(Search, () =>
        {
            var settings = HubCommandSettings.Resolve(Endpoint, Token);
            var query = new HfModelQuery { Search = Search, Author = Author, Filter = Filter, Sort = Sort, First = First };
            RunWorker((channel, cancel) =>
            {
                channel.Progress(new WorkerProgress(1, "Searching the Hub", Search ?? Author ?? string.Join(", ", Filter)));
                using var client = new HfHubClient(settings);
                var models = client.SearchModelsAsync(query, cancel).GetAsyncEnumerator(cancel);
                try
                {
                    while (models.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                    {
                        channel.Output(models.Current);
                    }
                }
                finally
                {
                    models.DisposeAsync().AsTask().GetAwaiter().GetResult();
                }
            });
        });
    }
}
