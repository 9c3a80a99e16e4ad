#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sgaudit::db {

// Every failure of the store: the message says what was attempted and what SQLite said.
class DbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OpenOptions {
  bool create = true;      // create the file (and its parent folder) when missing
  bool read_only = false;  // inspect without writing (used to check a schema before touching it)
  int busy_timeout_ms = 5000;
};

class Statement;

// One SQLite connection. Not thread-safe: callers serialise access or hold one per thread.
class Database {
 public:
  static Database open(const std::filesystem::path& path, const OpenOptions& options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs SQL without parameters (schema scripts, pragmas). Never pass text that came from a user.
  void exec(std::string_view sql);
  Statement prepare(std::string_view sql);

  // Switches to write-ahead logging. Separate from open() because it writes the file header,
  // and a database written by a newer build must be refused before anything is written.
  void enableWriteAheadLog();

  bool tableExists(std::string_view name);
  std::int64_t lastInsertRowId() const;
  int changes() const;
  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

// A prepared statement with bound parameters (1-based, as SQLite counts them).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
  Statement& bindBlob(int index, std::string_view bytes);
  Statement& bindNull(int index);

  // Advances to the next row; false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  bool isNull(int column) const;
  std::int64_t getInt64(int column) const;
  double getDouble(int column) const;
  std::string getText(int column) const;
  // The column's text without a copy: valid until the next step(), reset() or read of the column as another
  // type.
  std::string_view textView(int column) const;
  std::optional<std::string> getOptionalText(int column) const;

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void check(int rc, const char* what) const;
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Rolls back unless commit() is called (SQLiteCpp's Transaction, Chromium's sql::Transaction).
class Transaction {
 public:
  enum class Mode { Deferred, Immediate };
  explicit Transaction(Database& db, Mode mode = Mode::Immediate);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace sgaudit::db
