using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace GgufPs.Hub;

/// <summary>
/// Downloads one file into its .incomplete file and moves it into place, as huggingface_hub's
/// _download_to_tmp_and_move and http_get do, plus a SHA-256 check:
/// <list type="bullet">
/// <item>resumes from the bytes already in the .incomplete file with Range (hashing them first), and starts over
/// when the server answers 200 instead of 206;</item>
/// <item>retries dropped connections with Range from the bytes received, giving up after MaxAttempts tries in a row
/// without new data;</item>
/// <item>splits a large file from a remote host into ranges fetched in parallel, appended and hashed in order as they
/// complete, so the .incomplete file is always a valid prefix (resumable by huggingface_hub too) and no byte is read
/// twice; from loopback one stream is faster (nothing limits a connection there, and the ranges' buffers cost memory
/// bandwidth), so there it streams unless told otherwise;</item>
/// <item>checks the size and, for LFS files, the SHA-256 against X-Linked-Etag: on a mismatch nothing is kept;</item>
/// <item>on a full disk deletes the partial file and says so.</item>
/// </list>
/// </summary>
internal sealed class HfBlobDownloader(HubTransport transport, HfTransferOptions options)
{
    private const int StreamBufferSize = 1 << 20;

    /// <summary>
    /// Buffers between receiving and hashing: 16 MiB rode out the stalls of either side best on a 2 GB file from the
    /// stand-in (4 and 32 were slower).
    /// </summary>
    private const int PipelineBuffers = 16;

    public async Task DownloadAsync(string name, Uri location, long size, string? sha256, string incompletePath, string destinationPath,
        HfFileProgress progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(incompletePath)!);
        Directory.CreateDirectory(Path.GetDirectoryName(destinationPath)!);
        using var hash = sha256 is null ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var file = new FileStream(incompletePath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 0);
        bool keepPartial = true;
        try
        {
            long position = file.Length;
            if (position > size)
            {
                file.SetLength(0);
                position = 0;
            }
            progress.Set(position);
            progress.State = HfFileState.Downloading;
            if (position > 0 && hash is not null)
            {
                await HashPrefixAsync(file, position, hash, cancellationToken).ConfigureAwait(false);
            }
            file.Position = position;

            if (size - position >= options.ParallelThreshold && options.RangesPerFile > 1 && (options.SplitOnLoopback || !IsLoopback(location)))
            {
                if (await DownloadRangesAsync(name, location, file, position, size, hash, progress, cancellationToken).ConfigureAwait(false))
                {
                    position = size;
                }
                else
                {
                    position = Restart(file, hash, progress);
                }
            }
            if (position < size)
            {
                await DownloadStreamAsync(name, location, file, position, size, hash, progress, cancellationToken).ConfigureAwait(false);
            }

            progress.State = HfFileState.Verifying;
            if (file.Length != size)
            {
                throw new HfIntegrityException(name, $"'{name}' should be {size:N0} bytes but {file.Length:N0} arrived; nothing was kept.");
            }
            if (hash is not null)
            {
                string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != sha256)
                {
                    throw new HfIntegrityException(name, $"'{name}' is corrupt: its SHA-256 is {actual} but the Hub announced {sha256}. Nothing of it was kept; run again to download it anew.");
                }
            }
            await file.DisposeAsync().ConfigureAwait(false);
            File.Move(incompletePath, destinationPath, overwrite: true);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            keepPartial = false;
            throw new HfDiskFullException(name, Path.GetDirectoryName(destinationPath)!, size, ex);
        }
        catch (HfIntegrityException)
        {
            keepPartial = false;
            throw;
        }
        finally
        {
            await file.DisposeAsync().ConfigureAwait(false);
            if (!keepPartial)
            {
                TryDelete(incompletePath);
            }
        }
    }

    /// <summary>
    /// One stream from <paramref name="position"/> (Range when resuming), resumed with Range after a drop. Each buffer
    /// is written as it arrives and hashed on a second thread (see HfHashPipeline).
    /// </summary>
    private async Task DownloadStreamAsync(string name, Uri location, FileStream file, long position, long size, IncrementalHash? hash,
        HfFileProgress progress, CancellationToken cancellationToken)
    {
        // A small file needs neither a megabyte nor sixteen buffers. Sized by the whole file, not what is left, so a
        // restart after an ignored Range still moves large buffers.
        int bufferSize = (int)Math.Min(StreamBufferSize, size);
        int bufferCount = (int)Math.Min(PipelineBuffers, (size + bufferSize - 1) / bufferSize);
        await using var pipeline = new HfHashPipeline(hash, bufferCount, bufferSize);
        int failures = 0;
        while (position < size)
        {
            Exception? failure = null;
            long from = position;
            try
            {
                using var response = await transport.SendAsync(HttpMethod.Get, location, HubRedirectPolicy.All,
                    r => AskRange(r, from, null), cancellationToken).ConfigureAwait(false);
                transport.EnsureSuccess(response, path: name);
                if (from > 0 && response.StatusCode == HttpStatusCode.OK)
                {
                    // The server ignored Range: appending would corrupt the file, so start over.
                    await pipeline.DrainAsync().ConfigureAwait(false);
                    position = Restart(file, hash, progress);
                }
                else if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From != from)
                {
                    throw new HfHubException($"The server sent another range of '{name}' than asked.");
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                while (true)
                {
                    byte[] buffer = await pipeline.RentAsync(cancellationToken).ConfigureAwait(false);
                    int read;
                    try
                    {
                        timeout.CancelAfter(transport.Settings.DownloadTimeout);
                        read = await stream.ReadAsync(buffer.AsMemory(0, bufferSize), timeout.Token).ConfigureAwait(false);
                        if (position + read > size)
                        {
                            throw new HfIntegrityException(name, $"The server sent more than the {size:N0} bytes announced for '{name}'; nothing was kept.");
                        }
                        if (read > 0)
                        {
                            file.Write(buffer, 0, read);
                        }
                    }
                    catch (Exception ex)
                    {
                        pipeline.Return(buffer);
                        if (IsTransient(ex, cancellationToken))
                        {
                            failure = ex;
                            break;
                        }
                        throw;
                    }
                    if (read == 0)
                    {
                        pipeline.Return(buffer);
                        break;
                    }
                    pipeline.Post(buffer, read);
                    position += read;
                    progress.Add(read);
                    failures = 0;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                failure = ex;
            }
            if (position < size)
            {
                if (++failures > options.MaxAttempts)
                {
                    throw new HfHubException($"Downloading '{name}' failed {options.MaxAttempts} times in a row without new data" +
                        (failure is null ? "." : ": " + failure.Message), null, null, failure);
                }
                await Task.Delay(options.RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The file from <paramref name="start"/> in ranges of ChunkSize over RangesPerFile connections, appended and
    /// hashed in order; false when the server ignores Range (the caller starts over in one stream).
    /// </summary>
    private async Task<bool> DownloadRangesAsync(string name, Uri location, FileStream file, long start, long size, IncrementalHash? hash,
        HfFileProgress progress, CancellationToken cancellationToken)
    {
        int chunkSize = options.ChunkSize;
        int count = checked((int)((size - start + chunkSize - 1) / chunkSize));
        int workers = Math.Min(options.RangesPerFile, count);
        using var slots = new SemaphoreSlim(workers + 2);
        var ready = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var buffers = new ConcurrentBag<byte[]>();
        int next = -1;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task FetchAsync()
        {
            while (true)
            {
                await slots.WaitAsync(stop.Token).ConfigureAwait(false);
                int index = Interlocked.Increment(ref next);
                if (index >= count)
                {
                    return;
                }
                long offset = start + (long)index * chunkSize;
                int length = (int)Math.Min(chunkSize, size - offset);
                byte[] buffer = buffers.TryTake(out var reused) ? reused : GC.AllocateUninitializedArray<byte>(chunkSize);
                try
                {
                    await FetchRangeAsync(name, location, offset, buffer.AsMemory(0, length), progress, stop.Token).ConfigureAwait(false);
                    ready[index].SetResult(buffer);
                }
                catch (Exception ex)
                {
                    ready[index].TrySetException(ex);
                    await stop.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }

        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(FetchAsync, CancellationToken.None)).ToArray();
        try
        {
            for (int index = 0; index < count; index++)
            {
                byte[] buffer = await ready[index].Task.ConfigureAwait(false);
                int length = (int)Math.Min(chunkSize, size - (start + (long)index * chunkSize));
                for (int written = 0; written < length; written += StreamBufferSize)
                {
                    int piece = Math.Min(StreamBufferSize, length - written);
                    file.Write(buffer, written, piece);
                    hash?.AppendData(buffer, written, piece);
                }
                buffers.Add(buffer);
                slots.Release();
            }
            return true;
        }
        catch (HfRangeIgnoredException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // A worker failed and cancelled the others: report the failure rather than the cancellation.
            var failure = ready.Select(r => r.Task).FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException);
            if (failure?.Exception!.InnerException is HfRangeIgnoredException)
            {
                return false;
            }
            throw failure?.Exception!.InnerException ?? new HfHubException($"Downloading '{name}' was interrupted.");
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Workers waiting for a slot when the download stopped.
            }
        }
    }

    /// <summary>One range into its buffer, resumed with Range from the bytes received after a drop.</summary>
    private async Task FetchRangeAsync(string name, Uri location, long offset, Memory<byte> buffer, HfFileProgress progress, CancellationToken cancellationToken)
    {
        int received = 0, failures = 0;
        while (received < buffer.Length)
        {
            Exception? failure = null;
            long from = offset + received;
            try
            {
                using var response = await transport.SendAsync(HttpMethod.Get, location, HubRedirectPolicy.All,
                    r => AskRange(r, from, offset + buffer.Length - 1), cancellationToken).ConfigureAwait(false);
                transport.EnsureSuccess(response, path: name);
                if (response.StatusCode != HttpStatusCode.PartialContent)
                {
                    throw new HfRangeIgnoredException();
                }
                if (response.Content.Headers.ContentRange?.From != from)
                {
                    throw new HfHubException($"The server sent another range of '{name}' than asked.");
                }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
                while (received < buffer.Length)
                {
                    timeout.CancelAfter(transport.Settings.DownloadTimeout);
                    int read = await stream.ReadAsync(buffer[received..], timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }
                    received += read;
                    progress.Add(read);
                    failures = 0;
                }
            }
            catch (Exception ex) when (IsTransient(ex, cancellationToken))
            {
                failure = ex;
            }
            if (received < buffer.Length)
            {
                if (++failures > options.MaxAttempts)
                {
                    throw new HfHubException($"Downloading '{name}' failed {options.MaxAttempts} times in a row without new data" +
                        (failure is null ? "." : ": " + failure.Message), null, null, failure);
                }
                await Task.Delay(options.RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static bool IsLoopback(Uri location) =>
        location.IsLoopback || (IPAddress.TryParse(location.IdnHost, out var address) && IPAddress.IsLoopback(address));

    private static void AskRange(HttpRequestMessage request, long from, long? to)
    {
        request.Headers.AcceptEncoding.ParseAdd("identity");
        if (from > 0 || to is not null)
        {
            request.Headers.Range = new RangeHeaderValue(from, to);
        }
    }

    private static long Restart(FileStream file, IncrementalHash? hash, HfFileProgress progress)
    {
        file.SetLength(0);
        file.Position = 0;
        hash?.GetHashAndReset();
        progress.Set(0);
        return 0;
    }

    private static async Task HashPrefixAsync(FileStream file, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(StreamBufferSize);
        try
        {
            file.Position = 0;
            long left = length;
            while (left > 0)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                hash.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A dropped or stalled connection (worth resuming), not the user's cancellation nor a local disk error.</summary>
    private static bool IsTransient(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex is HttpRequestException or HttpIOException or OperationCanceledException
            or IOException { InnerException: System.Net.Sockets.SocketException };

    internal static bool IsDiskFull(IOException ex) =>
        OperatingSystem.IsWindows() ? (ex.HResult & 0xFFFF) is 0x70 or 0x27 : ex.HResult == 28 || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
