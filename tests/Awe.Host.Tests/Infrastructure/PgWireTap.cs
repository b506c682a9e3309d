using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Awe.Host.Tests.Infrastructure;

/// <summary>
/// A loopback relay in front of PostgreSQL that reads the wire protocol as it passes and records what the host sends:
/// each <b>round trip</b> (the client sends, then waits for the server's answer before sending again) with the
/// statements it carried (simple <c>Query</c> text and every <c>Execute</c> of an extended-protocol statement). It
/// sees everything a driver does, including what no EF interceptor sees (the <c>DISCARD ALL</c> of a pool checkout,
/// a prepended <c>BEGIN</c>), so a round-trip budget tested through it is the one the server really serves.
/// </summary>
public sealed class PgWireTap : IAsyncDisposable
{
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly TcpListener _listener;
    private readonly List<TcpClient> _sockets = [];
    private readonly object _gate = new();
    private readonly List<RoundTrip> _recorded = [];
    private int _nextConnection;

    public PgWireTap(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>The round trips recorded since the last call, oldest first; recording starts afresh.</summary>
    public IReadOnlyList<RoundTrip> Take()
    {
        lock (_gate)
        {
            var taken = _recorded.ToList();
            _recorded.Clear();
            return taken;
        }
    }

    /// <summary>One wait for the server: which pooled connection and the statements sent before waiting.</summary>
    public sealed record RoundTrip(int Connection, List<string> Statements)
    {
        public override string ToString() => $"[conn {Connection}] {string.Join(" ⏎ ", Statements.Select(Short))}";

        private static string Short(string sql)
        {
            var flat = string.Join(' ', sql.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
            return flat.Length > 160 ? flat[..160] + "…" : flat;
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient inbound;
            try { inbound = await _listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _ = RelayAsync(inbound, Interlocked.Increment(ref _nextConnection));
        }
    }

    private async Task RelayAsync(TcpClient inbound, int id)
    {
        var outbound = new TcpClient();
        lock (_sockets) _sockets.AddRange([inbound, outbound]);
        var connection = new Connection(this, id);
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort);
            var client = inbound.GetStream();
            var server = outbound.GetStream();
            await Task.WhenAny(PumpAsync(client, server, connection.FromClient), PumpAsync(server, client, connection.FromServer));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException) { }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    private static async Task PumpAsync(NetworkStream from, NetworkStream to, Action<ReadOnlyMemory<byte>> observe)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = await from.ReadAsync(buffer);
            if (n == 0) return;
            // Observed before it is forwarded: the answer cannot reach the other side, nor be replied to, before it is seen.
            observe(buffer.AsMemory(0, n));
            await to.WriteAsync(buffer.AsMemory(0, n));
        }
    }

    /// <summary>Frames the two byte streams of one connection into protocol messages.</summary>
    private sealed class Connection(PgWireTap tap, int id)
    {
        private readonly List<byte> _client = [];
        private readonly Dictionary<string, string> _prepared = [];
        private string _unnamed = "";
        private string _bound = "";
        private bool _started; // past the untyped start-up messages
        private int _negotiationBytes; // one-byte answers owed to SSLRequest / GSSENCRequest
        private bool _waiting; // the client has sent and the server has not answered yet
        private RoundTrip? _current;

        public void FromServer(ReadOnlyMemory<byte> bytes)
        {
            lock (tap._gate) _waiting = false;
            // The single-byte SSL/GSS refusals come before any typed message; nothing else of the server's is needed.
            if (_negotiationBytes > 0) _negotiationBytes = Math.Max(0, _negotiationBytes - bytes.Length);
        }

        public void FromClient(ReadOnlyMemory<byte> bytes)
        {
            lock (tap._gate)
            {
                if (!_waiting)
                {
                    _waiting = true;
                    _current = new RoundTrip(id, []);
                    if (_started) tap._recorded.Add(_current);
                }
                _client.AddRange(bytes.Span);
                while (TryFrame(out var type, out var body)) Read(type, body);
            }
        }

        private bool TryFrame(out char type, out byte[] body)
        {
            type = '\0';
            body = [];
            var header = _started ? 5 : 4;
            if (_client.Count < header) return false;
            var lengthAt = _started ? 1 : 0;
            var length = BinaryPrimitives.ReadInt32BigEndian([.. _client.GetRange(lengthAt, 4)]);
            var total = lengthAt + length;
            if (_client.Count < total) return false;
            if (_started) type = (char)_client[0];
            body = [.. _client.GetRange(header, total - header)];
            _client.RemoveRange(0, total);
            if (!_started)
            {
                var code = BinaryPrimitives.ReadInt32BigEndian(body);
                if (code is 80877103 or 80877104) _negotiationBytes++;
                else if (code != 80877102) _started = true; // the StartupMessage; a CancelRequest ends the connection
                return TryFrame(out type, out body);
            }
            return true;
        }

        private void Read(char type, byte[] body)
        {
            switch (type)
            {
                case 'Q':
                    _current?.Statements.Add(CString(body, 0, out _));
                    break;
                case 'P':
                    var name = CString(body, 0, out var next);
                    var sql = CString(body, next, out _);
                    if (name.Length == 0) _unnamed = sql;
                    else _prepared[name] = sql;
                    break;
                case 'B':
                    CString(body, 0, out var afterPortal);
                    var statement = CString(body, afterPortal, out _);
                    _bound = statement.Length == 0 ? _unnamed : _prepared.GetValueOrDefault(statement, $"<prepared {statement}>");
                    break;
                case 'E':
                    _current?.Statements.Add(_bound);
                    break;
            }
        }

        private static string CString(byte[] body, int start, out int next)
        {
            var end = Array.IndexOf(body, (byte)0, start);
            if (end < 0) end = body.Length;
            next = end + 1;
            return Encoding.UTF8.GetString(body, start, end - start);
        }
    }

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        lock (_sockets)
        {
            foreach (var s in _sockets) s.Dispose();
            _sockets.Clear();
        }
        return ValueTask.CompletedTask;
    }
}
