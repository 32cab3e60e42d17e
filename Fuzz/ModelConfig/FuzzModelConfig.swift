import FuzzSupport
import ModelRepository

/// Fuzzes the worker's `config.yaml` reader: any text must give a config or a RepositoryError.
@main
enum FuzzModelConfig {
    static func main() {
        FuzzDriver.run { input in
            let text = String(decoding: input, as: UTF8.self)
            return (try? ModelConfig(yaml: text, file: "fuzz/config.yaml")) != nil
        }
    }
}
