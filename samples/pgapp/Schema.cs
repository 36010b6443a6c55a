using Npgsql;

// The schema migrates itself at start-up: each step runs once, in order, recorded in schema_version, in one
// transaction, so a second boot (or a second instance) finds the database as the first left it.
static class Schema
{
    private static readonly string[] Steps =
    [
        "CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)",
        "ALTER TABLE notes ADD COLUMN created timestamptz NOT NULL DEFAULT now()",
    ];

    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)");
        await Execute(connection, "LOCK TABLE schema_version");
        await using (var read = new NpgsqlCommand("SELECT version FROM schema_version", connection))
        {
            object? found = await read.ExecuteScalarAsync();
            int version = found is int current ? current : 0;
            if (found is null)
                await Execute(connection, "INSERT INTO schema_version VALUES (0)");
            for (; version < Steps.Length; version++)
                await Execute(connection, Steps[version]);
            await Execute(connection, $"UPDATE schema_version SET version = {version}");
            await transaction.CommitAsync();
            return version;
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
