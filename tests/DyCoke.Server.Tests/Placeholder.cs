// PLACEHOLDER (skeleton): removed once real tests exist.
namespace DyCoke.Server.Tests;
