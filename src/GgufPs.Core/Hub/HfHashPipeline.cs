using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;

namespace GgufPs.Hub;

/// <summary>
/// Hashes downloaded buffers on a second thread, in the order they were posted, so receiving and writing one buffer
/// overlaps hashing the previous ones (SHA-256 alone costs about as much as the transfer from loopback). A fixed set
/// of rented buffers bounds the memory and makes the producer wait when hashing falls behind.
/// </summary>
internal sealed class HfHashPipeline : IAsyncDisposable
{
    private readonly IncrementalHash? _hash;
    private readonly int _bufferCount;
    private readonly Channel<byte[]> _free;
    private readonly Channel<(byte[] Buffer, int Count)> _filled;
    private readonly Task _hasher;

    public HfHashPipeline(IncrementalHash? hash, int bufferCount, int bufferSize)
    {
        _hash = hash;
        _bufferCount = bufferCount;
        _free = Channel.CreateBounded<byte[]>(bufferCount);
        _filled = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(bufferCount) { SingleReader = true, SingleWriter = true });
        for (int i = 0; i < bufferCount; i++)
        {
            _free.Writer.TryWrite(ArrayPool<byte>.Shared.Rent(bufferSize));
        }
        _hasher = Task.Run(HashAsync);
    }

    /// <summary>A buffer to fill; waits while all of them are queued for hashing.</summary>
    public ValueTask<byte[]> RentAsync(CancellationToken cancellationToken) => _free.Reader.ReadAsync(cancellationToken);

    /// <summary>Queues the first <paramref name="count"/> bytes of a rented buffer for hashing; the buffer comes back once hashed.</summary>
    public void Post(byte[] buffer, int count)
    {
        if (!_filled.Writer.TryWrite((buffer, count)))
        {
            throw new InvalidOperationException("More buffers were posted than rented.");
        }
    }

    /// <summary>Gives back a rented buffer that holds nothing to hash.</summary>
    public void Return(byte[] buffer) => _free.Writer.TryWrite(buffer);

    /// <summary>Waits until every posted buffer is hashed (all buffers free again), so the hash may be read or reset.</summary>
    public async Task DrainAsync()
    {
        var buffers = new byte[_bufferCount][];
        for (int i = 0; i < _bufferCount; i++)
        {
            buffers[i] = await _free.Reader.ReadAsync().ConfigureAwait(false);
        }
        foreach (var buffer in buffers)
        {
            _free.Writer.TryWrite(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _filled.Writer.TryComplete();
        await _hasher.ConfigureAwait(false);
        while (_free.Reader.TryRead(out var buffer))
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HashAsync()
    {
        await foreach (var (buffer, count) in _filled.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            _hash?.AppendData(buffer, 0, count);
            _free.Writer.TryWrite(buffer);
        }
    }
}
