using Microsoft.Data.Sqlite;

// Microsoft.Data.Sqlite finds its provider by reflection, which NativeAOT trims away: name it here.
SQLitePCL.raw.SetProvider(new SQLitePCL.SQLite3Provider_sqlite3());

string path = Path.Combine(Path.GetTempPath(), $"uk-sqlite-sample-{Environment.ProcessId}.db");
string connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
try
{
    using (var db = new SqliteConnection(connectionString))
    {
        db.Open();
        Console.WriteLine($"sqlite {Scalar(db, "SELECT sqlite_version()")}, journal {Scalar(db, "PRAGMA journal_mode")}");
        Execute(db, "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, price REAL NOT NULL, stock INTEGER, data BLOB)");

        using (var insert = db.BeginTransaction())
        {
            var command = db.CreateCommand();
            command.CommandText = "INSERT INTO items (name, price, stock, data) VALUES ($name, $price, $stock, $data)";
            var name = command.Parameters.Add("$name", SqliteType.Text);
            var price = command.Parameters.Add("$price", SqliteType.Real);
            var stock = command.Parameters.Add("$stock", SqliteType.Integer);
            var data = command.Parameters.Add("$data", SqliteType.Blob);
            string[] names = ["anvil", "bucket", "compass", "drill", "easel", "funnel"];
            for (int i = 0; i < names.Length; i++)
            {
                name.Value = names[i];
                price.Value = 1.25 * (i + 1) * (i + 1);
                stock.Value = i % 3 == 0 ? DBNull.Value : i * 10;
                data.Value = Enumerable.Range(0, 1000 * (i + 1)).Select(b => (byte)(b * (i + 7))).ToArray();
                command.ExecuteNonQuery();
            }
            insert.Commit();
        }
        Console.WriteLine($"inserted {Scalar(db, "SELECT count(*) FROM items")} rows, last id {Scalar(db, "SELECT max(id) FROM items")}");

        using (var abandoned = db.BeginTransaction())
        {
            Execute(db, "INSERT INTO items (name, price) VALUES ('ghost', 9.99)");
            Execute(db, "UPDATE items SET price = price * 100");
            Console.WriteLine($"inside a transaction: {Scalar(db, "SELECT count(*) FROM items")} rows, total {Scalar(db, "SELECT sum(price) FROM items")}");
            abandoned.Rollback();
        }
        Console.WriteLine($"after rollback: {Scalar(db, "SELECT count(*) FROM items")} rows, total {Scalar(db, "SELECT sum(price) FROM items")}");

        try
        {
            Execute(db, "INSERT INTO items (name, price) VALUES ('anvil', 1)");
        }
        catch (SqliteException e)
        {
            Console.WriteLine($"duplicate: SqliteException {e.SqliteErrorCode}/{e.SqliteExtendedErrorCode}: {e.Message}");
        }

        var query = db.CreateCommand();
        query.CommandText = "SELECT id, name, price, stock, length(data), data FROM items WHERE price > $min ORDER BY price DESC";
        query.Parameters.AddWithValue("$min", 2.0);
        using (var reader = query.ExecuteReader())
        {
            while (reader.Read())
            {
                string stock = reader.IsDBNull(3) ? "null" : reader.GetInt64(3).ToString();
                byte[] blob = (byte[])reader.GetValue(5);
                Console.WriteLine($"  {reader.GetInt64(0)} {reader.GetString(1),-8} {reader.GetDouble(2),8:F2} stock {stock,4} " +
                    $"blob {reader.GetInt64(4)} bytes fnv1a {Fnv1a(blob):x8}");
            }
        }
        Console.WriteLine($"grouped: {Scalar(db, "SELECT group_concat(n, ',') FROM (SELECT stock IS NULL AS k, count(*) AS n FROM items GROUP BY k ORDER BY k)")}");
        Console.WriteLine($"like 'd%': {Scalar(db, "SELECT group_concat(name) FROM items WHERE name LIKE 'd%'")}");
        Console.WriteLine($"json: {Scalar(db, "SELECT json_object('name', name, 'price', price) FROM items WHERE id = 3")}");
    }

    // A second connection sees what the first committed: the data is in the file, not in a cache.
    using (var again = new SqliteConnection(connectionString))
    {
        again.Open();
        Execute(again, "DELETE FROM items WHERE stock IS NULL");
        Execute(again, "VACUUM");
        Console.WriteLine($"reopened: {Scalar(again, "SELECT count(*) FROM items")} rows, integrity {Scalar(again, "PRAGMA integrity_check")}");
    }
    Console.WriteLine($"file: {new FileInfo(path).Length} bytes");
    return 0;
}
finally
{
    File.Delete(path);
    File.Delete(path + "-journal");
}

static object? Scalar(SqliteConnection db, string sql)
{
    using var command = db.CreateCommand();
    command.CommandText = sql;
    return command.ExecuteScalar();
}

// A checksum without System.Security.Cryptography, which needs OpenSSL (not part of this recipe).
static uint Fnv1a(byte[] bytes)
{
    uint hash = 2166136261;
    foreach (byte b in bytes)
        hash = (hash ^ b) * 16777619;
    return hash;
}

static void Execute(SqliteConnection db, string sql)
{
    using var command = db.CreateCommand();
    command.CommandText = sql;
    command.ExecuteNonQuery();
}
