using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Awe.Benchmarks.EndToEnd;

/// <summary>One network round trip a client made: the statements it sent before waiting for the server's answer.</summary>
public sealed record RoundTrip(int Connection, IReadOnlyList<string> Statements);

/// <summary>
/// A loopback relay in front of PostgreSQL that reads the frontend protocol as it passes and, while recording, keeps
/// every statement executed with its parameters written in as SQL literals (from Parse, Bind and Execute, or a
/// simple Query). Statements are grouped into round trips: a client message that follows an answer to everything the
/// client had sent (the server's ReadyForQuery for its last Sync or Query) starts a new round trip, so pipelined
/// statements (a pooled connection's reset, EF's batches) stay together as the server saw them.
/// Bytes are passed on unchanged; only a capture host talks through it, never the measured one.
/// </summary>
public sealed class PgWireRecorder : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private List<(int Connection, int Flight, string Sql)>? _recording;
    private int _connections;

    public PgWireRecorder(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void StartRecording() { lock (_gate) _recording = []; }

    public IReadOnlyList<RoundTrip> StopRecording()
    {
        List<(int Connection, int Flight, string Sql)> recorded;
        lock (_gate) { recorded = _recording ?? []; _recording = null; }
        var trips = new List<RoundTrip>();
        foreach (var group in recorded.GroupBy(r => (r.Connection, r.Flight))) // GroupBy keeps first-appearance order
            trips.Add(new RoundTrip(group.Key.Connection, group.Select(r => r.Sql).ToList()));
        return trips;
    }

    private void Record(int connection, int flight, string sql)
    {
        lock (_gate) _recording?.Add((connection, flight, sql));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = RelayAsync(client, Interlocked.Increment(ref _connections));
        }
    }

    private async Task RelayAsync(TcpClient client, int id)
    {
        using var _ = client;
        using var server = new TcpClient();
        client.NoDelay = server.NoDelay = true;
        try { await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token); }
        catch (Exception) { return; }
        var session = new Session(this, id);
        var up = PumpAsync(client.GetStream(), server.GetStream(), session.FromClient);
        var down = PumpAsync(server.GetStream(), client.GetStream(), session.FromServer);
        await Task.WhenAny(up, down);
        client.Close();
        server.Close();
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Action<ReadOnlySpan<byte>> inspect)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) return;
                inspect(buffer.AsSpan(0, n)); // before passing on: the answer cannot overtake what we learn from it
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception) { } // either side closed
    }

    /// <summary>The protocol state of one client connection.</summary>
    private sealed class Session(PgWireRecorder owner, int id)
    {
        private readonly MessageReader _client = new(typed: false);
        private readonly MessageReader _server = new(typed: true);
        private readonly Dictionary<string, (string Sql, uint[] Types)> _statements = [];
        private readonly Dictionary<string, string> _portals = [];
        private long _syncsSent, _readyReceived, _singleByteAnswers, _readyAtLastMessage;
        private int _flight;

        public void FromClient(ReadOnlySpan<byte> bytes)
        {
            _client.Append(bytes);
            while (_client.TryRead(out var type, out var body))
            {
                // A message sent after answers arrived, and once everything sent before has been answered, starts a
                // new round trip; one sent while answers are still due is pipelined with what went before.
                var ready = Interlocked.Read(ref _readyReceived);
                if (ready == Interlocked.Read(ref _syncsSent) && ready != _readyAtLastMessage) _flight++;
                _readyAtLastMessage = ready;
                switch (type)
                {
                    case 0: Startup(body); break;
                    case (byte)'P': Parse(body); break;
                    case (byte)'B': Bind(body); break;
                    case (byte)'E':
                        var portal = CString(body, 0, out _);
                        if (_portals.TryGetValue(portal, out var sql)) owner.Record(id, _flight, sql);
                        break;
                    case (byte)'Q':
                        Interlocked.Increment(ref _syncsSent);
                        var query = CString(body, 0, out _);
                        if (query.Trim().Length > 0) owner.Record(id, _flight, query);
                        break;
                    case (byte)'S': Interlocked.Increment(ref _syncsSent); break;
                    case (byte)'C' when body.Length > 0 && body[0] == (byte)'S':
                        _statements.Remove(CString(body, 1, out _));
                        break;
                }
            }
        }

        public void FromServer(ReadOnlySpan<byte> bytes)
        {
            // The answer to an SSL or GSS encryption request is one bare byte before any message.
            while (Interlocked.Read(ref _singleByteAnswers) > 0 && bytes.Length > 0 && _server.Empty)
            {
                Interlocked.Decrement(ref _singleByteAnswers);
                bytes = bytes[1..];
            }
            _server.Append(bytes);
            while (_server.TryRead(out var type, out _))
                if (type == (byte)'Z') Interlocked.Increment(ref _readyReceived);
        }

        private void Startup(byte[] body)
        {
            var code = BinaryPrimitives.ReadInt32BigEndian(body);
            if (code is 80877103 or 80877104) Interlocked.Increment(ref _singleByteAnswers); // SSLRequest, GSSENCRequest
            else if (code == 196608)
            {
                _client.Typed = true; // protocol 3.0 start-up: typed messages from now on
                Interlocked.Increment(ref _syncsSent); // answered, like a Sync, by ReadyForQuery
            }
        }

        private void Parse(byte[] body)
        {
            var name = CString(body, 0, out var at);
            var sql = CString(body, at, out at);
            var count = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at));
            var types = new uint[count];
            for (var i = 0; i < count; i++) types[i] = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(at + 2 + 4 * i));
            _statements[name] = (sql, types);
        }

        private void Bind(byte[] body)
        {
            var portal = CString(body, 0, out var at);
            var statement = CString(body, at, out at);
            var formatCount = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at));
            var formats = new short[formatCount];
            for (var i = 0; i < formatCount; i++) formats[i] = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at + 2 + 2 * i));
            at += 2 + 2 * formatCount;
            var count = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(at));
            at += 2;
            var (sql, types) = _statements.TryGetValue(statement, out var s) ? s : ("", []);
            var literals = new string[count];
            for (var i = 0; i < count; i++)
            {
                var length = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(at));
                at += 4;
                var format = formatCount == 0 ? (short)0 : formats[formatCount == 1 ? 0 : i];
                var type = i < types.Length ? types[i] : 0u;
                literals[i] = length < 0 ? PgLiteral.Null(type) : PgLiteral.Render(type, format == 1, body.AsSpan(at, length));
                if (length > 0) at += length;
            }
            _portals[portal] = PgLiteral.Substitute(sql, literals);
        }

        private static string CString(byte[] body, int start, out int next)
        {
            var end = Array.IndexOf(body, (byte)0, start);
            next = end + 1;
            return Encoding.UTF8.GetString(body, start, end - start);
        }
    }

    /// <summary>Cuts a byte stream into protocol messages: typed (1-byte type, 4-byte length) or start-up (length only, type 0).</summary>
    private sealed class MessageReader(bool typed)
    {
        private byte[] _pending = [];

        /// <summary>Switched by the caller after the start-up message, before the next one is read.</summary>
        public bool Typed { get; set; } = typed;
        public bool Empty => _pending.Length == 0;

        public void Append(ReadOnlySpan<byte> bytes)
        {
            var data = new byte[_pending.Length + bytes.Length];
            _pending.CopyTo(data, 0);
            bytes.CopyTo(data.AsSpan(_pending.Length));
            _pending = data;
        }

        public bool TryRead(out byte type, out byte[] body)
        {
            (type, body) = (0, []);
            var header = Typed ? 5 : 4;
            if (_pending.Length < header) return false;
            var length = BinaryPrimitives.ReadInt32BigEndian(_pending.AsSpan(header - 4));
            var total = header - 4 + length;
            if (_pending.Length < total) return false;
            type = Typed ? _pending[0] : (byte)0;
            body = _pending.AsSpan(header, length - 4).ToArray();
            _pending = _pending[total..];
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
    }
}
