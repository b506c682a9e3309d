using Awe.Host.Persistence;
using Npgsql;

namespace Awe.Host.Tests.Performance;

public sealed class ConnectionStringTests
{
    [Fact]
    public void A_PostgreSQL_string_gets_no_reset_on_close_unless_it_says_otherwise()
    {
        var (_, plain) = DatabaseSetup.Resolve("Host=db;Username=awe;Password=secret;Database=awe");
        var built = new NpgsqlConnectionStringBuilder(plain);
        Assert.True(built.NoResetOnClose);
        Assert.Equal(("db", "awe", "secret"), (built.Host, built.Username, built.Password));

        foreach (var spelled in new[] { "No Reset On Close=false", "noresetonclose=False" })
        {
            var (_, kept) = DatabaseSetup.Resolve($"Host=db;Database=awe;{spelled}");
            Assert.False(new NpgsqlConnectionStringBuilder(kept).NoResetOnClose);
        }
    }

    [Fact]
    public void A_SQLite_string_is_left_as_it_is()
    {
        var file = Path.Combine(Path.GetTempPath(), $"awe-cs-{Guid.NewGuid():N}", "awe.db");
        Assert.Equal((DatabaseKind.Sqlite, $"Data Source={file}"), DatabaseSetup.Resolve($"Data Source={file}"));
        Directory.Delete(Path.GetDirectoryName(file)!);
    }
}
