using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Google.Protobuf;
using Platform.Contracts.Inference.V1;

namespace Platform.Benchmarks;

/// <summary>
/// A lean load client for server-streaming <c>Generate</c> calls, as h2load is for HTTP/2 servers: plain-text
/// HTTP/2 (prior knowledge) on sockets of its own, up to <see cref="StreamsPerConnection"/> streams per connection
/// (Kestrel's default limit), one thread per connection blocking on its socket and parsing the frames it receives —
/// no thread-pool hand-off per message, so the client's own cost (a few microseconds a message, the `serve` benchmark
/// prints it) stays out of the jitter it measures. It sends each request as one HEADERS frame (literal fields, no
/// Huffman) and one DATA frame, opens the windows wide at the start, acknowledges the server's SETTINGS and PINGs, and
/// hands every complete gRPC message of a stream to a callback with the time its bytes were read. Response headers are
/// skipped, not decoded: a stream ends at END_STREAM, and the caller checks the messages it got (a call that failed
/// has no Finished message).
/// </summary>
internal static class RawGrpcStreams
{
    public const int StreamsPerConnection = 100;
    private const int FrameHeader = 9;

    /// <summary>Opens <paramref name="requests"/>.Length streams on <paramref name="address"/> at once and calls
    /// <paramref name="onMessage"/>(stream, message, receipt timestamp) from the connection's thread until all end.
    /// </summary>
    public static async Task RunAsync(Uri address, string method, GenerateRequest[] requests,
        Action<int, GenerateResponse, long> onMessage)
    {
        var connections = new List<Task>();
        for (int first = 0; first < requests.Length; first += StreamsPerConnection)
        {
            int from = first, count = Math.Min(StreamsPerConnection, requests.Length - first);
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(address.Host, address.Port);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var reader = new Thread(() =>
            {
                try
                {
                    Read(socket, count, (s, m, t) => onMessage(from + s, m, t));
                    done.SetResult();
                }
                catch (Exception e) { done.SetException(e); }
                finally { socket.Dispose(); }
            })
            { IsBackground = true, Name = $"raw-grpc-{first / StreamsPerConnection}" };
            Send(socket, Preface());
            reader.Start();
            for (int s = 0; s < count; s++) Send(socket, Request(address, method, 1 + 2 * s, requests[from + s]));
            connections.Add(done.Task);
        }
        await Task.WhenAll(connections);
    }

    private static void Send(Socket socket, byte[] bytes)
    {
        lock (socket)
        {
            for (int sent = 0; sent < bytes.Length;) sent += socket.Send(bytes, sent, bytes.Length - sent, 0);
        }
    }

    /// <summary>The connection preface, SETTINGS (no push, stream windows of 2³¹−1) and the connection window
    /// opened to 2³¹−1.</summary>
    private static byte[] Preface()
    {
        var b = new MemoryStream();
        b.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        Frame(b, 4, 0, 0, [0, 2, 0, 0, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff]);
        var increment = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(increment, int.MaxValue - 65_535);
        Frame(b, 8, 0, 0, increment);
        return b.ToArray();
    }

    private static byte[] Request(Uri address, string method, int streamId, GenerateRequest request)
    {
        var headers = new MemoryStream();
        foreach (var (name, value) in new[]
        {
            (":method", "POST"), (":scheme", "http"), (":path", method), (":authority", address.Authority),
            ("content-type", "application/grpc"), ("te", "trailers"),
        })
        {
            headers.WriteByte(0); // literal header field without indexing, new name
            Literal(headers, name);
            Literal(headers, value);
        }
        var body = request.ToByteArray();
        var data = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(1), body.Length);
        body.CopyTo(data, 5);
        var b = new MemoryStream();
        Frame(b, 1, 0x4, streamId, headers.ToArray()); // END_HEADERS
        Frame(b, 0, 0x1, streamId, data); // END_STREAM
        return b.ToArray();
    }

    private static void Literal(MemoryStream b, string s)
    {
        var bytes = Encoding.ASCII.GetBytes(s);
        if (bytes.Length >= 127) throw new ArgumentException("header too long for a one-byte length", nameof(s));
        b.WriteByte((byte)bytes.Length);
        b.Write(bytes);
    }

    private static void Frame(MemoryStream b, byte type, byte flags, int streamId, ReadOnlySpan<byte> payload)
    {
        Span<byte> h = stackalloc byte[FrameHeader];
        h[0] = (byte)(payload.Length >> 16);
        h[1] = (byte)(payload.Length >> 8);
        h[2] = (byte)payload.Length;
        h[3] = type;
        h[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(h[5..], streamId);
        b.Write(h);
        b.Write(payload);
    }

    /// <summary>Reads frames until all <paramref name="streams"/> streams have ended (or the server closes).</summary>
    private static void Read(Socket socket, int streams, Action<int, GenerateResponse, long> onMessage)
    {
        var buffer = new byte[64 * 1024]; // under the large-object heap's 85,000 bytes
        int filled = 0, ended = 0;
        var pending = new List<byte>[streams];
        for (int s = 0; s < streams; s++) pending[s] = [];
        while (ended < streams)
        {
            int n = socket.Receive(buffer, filled, buffer.Length - filled, 0);
            if (n == 0) return;
            long received = Stopwatch.GetTimestamp();
            filled += n;
            int at = 0;
            while (filled - at >= FrameHeader)
            {
                var h = buffer.AsSpan(at, FrameHeader);
                int length = (h[0] << 16) | (h[1] << 8) | h[2];
                if (filled - at < FrameHeader + length) break;
                byte type = h[3], flags = h[4];
                int id = BinaryPrimitives.ReadInt32BigEndian(h[5..]) & int.MaxValue;
                var payload = buffer.AsSpan(at + FrameHeader, length);
                at += FrameHeader + length;
                int s = (id - 1) / 2;
                switch (type)
                {
                    case 0 when id > 0: // DATA
                        if ((flags & 0x8) != 0) payload = payload[1..^payload[0]]; // PADDED
                        Messages(pending[s], payload, s, received, onMessage);
                        break;
                    case 3 when id > 0: // RST_STREAM
                        ended++;
                        continue;
                    case 4 when (flags & 0x1) == 0: // SETTINGS (not an ACK)
                        Send(socket, [0, 0, 0, 4, 1, 0, 0, 0, 0]);
                        break;
                    case 6 when (flags & 0x1) == 0: // PING
                        var ack = new MemoryStream();
                        Frame(ack, 6, 1, 0, payload);
                        Send(socket, ack.ToArray());
                        break;
                    case 7: // GOAWAY
                        return;
                }
                if (id > 0 && (type == 0 || type == 1) && (flags & 0x1) != 0) ended++; // END_STREAM
            }
            Buffer.BlockCopy(buffer, at, buffer, 0, filled - at);
            filled -= at;
        }
    }

    /// <summary>Appends a DATA payload to the stream's bytes and hands on each complete length-prefixed
    /// message.</summary>
    private static void Messages(List<byte> pending, ReadOnlySpan<byte> payload, int stream, long received,
        Action<int, GenerateResponse, long> onMessage)
    {
        if (pending.Count == 0)
        {
            while (payload.Length >= 5)
            {
                int length = BinaryPrimitives.ReadInt32BigEndian(payload[1..]);
                if (payload.Length < 5 + length) break;
                onMessage(stream, GenerateResponse.Parser.ParseFrom(payload.Slice(5, length)), received);
                payload = payload[(5 + length)..];
            }
            foreach (var b in payload) pending.Add(b);
            return;
        }
        foreach (var b in payload) pending.Add(b);
        var all = pending.ToArray();
        pending.Clear();
        Messages(pending, all, stream, received, onMessage);
    }
}
