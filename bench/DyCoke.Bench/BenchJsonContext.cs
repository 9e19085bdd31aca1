// Source-generated JSON for benchmark reports: reflection-free, so it survives trimming in the GPU harness.
using System.Text.Json.Serialization;

namespace DyCoke.Bench;

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GemmBench.Report))]
[JsonSerializable(typeof(ModelBench.Report), TypeInfoPropertyName = "ModelReport")]
[JsonSerializable(typeof(TokenizerBench.Report), TypeInfoPropertyName = "TokenizerReport")]
[JsonSerializable(typeof(List<EngineBench.Level>))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
