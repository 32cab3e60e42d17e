// Reference server for bench/references.sh: grpc++ with the async completion-queue API, one
// queue polled by one thread. Serves inference.GRPCInferenceService ServerLive and ModelInfer
// (a fixed linear model y = x·Wᵀ + b: FP32 input "X" [rows, 4] from raw_input_contents or
// contents.fp32_contents, FP32 output "Y" [rows, 3] in raw_output_contents) and
// grpc.health.v1.Health/Check.   grpcpp-server [PORT]   (prints "listening on 127.0.0.1:PORT")
#include <cstring>
#include <iostream>
#include <string>

#include <grpcpp/grpcpp.h>

#include "grpc_predict_v2.grpc.pb.h"
#include "health.grpc.pb.h"

namespace {

// Keep equal to linear_model.py and server.go.
constexpr float W[3][4] = {{1.0f, 2.0f, 3.0f, 4.0f}, {0.5f, -1.0f, 0.0f, 2.0f}, {-1.0f, 0.25f, 1.0f, 0.0f}};
constexpr float B[3] = {0.1f, 0.2f, 0.3f};

grpc::Status Live(const inference::ServerLiveRequest&, inference::ServerLiveResponse* reply) {
  reply->set_live(true);
  return grpc::Status::OK;
}

grpc::Status Check(const grpc::health::v1::HealthCheckRequest&, grpc::health::v1::HealthCheckResponse* reply) {
  reply->set_status(grpc::health::v1::HealthCheckResponse::SERVING);
  return grpc::Status::OK;
}

grpc::Status Infer(const inference::ModelInferRequest& request, inference::ModelInferResponse* reply) {
  const grpc::Status bad(grpc::StatusCode::INVALID_ARGUMENT, "expected one FP32 input X of shape [rows, 4]");
  if (request.inputs_size() != 1) return bad;
  const auto& input = request.inputs(0);
  if (input.datatype() != "FP32" || input.shape_size() != 2 || input.shape(1) != 4 || input.shape(0) < 0) return bad;
  const int64_t rows = input.shape(0);
  const char* raw = nullptr;
  if (request.raw_input_contents_size() == 1) {
    if (request.raw_input_contents(0).size() != size_t(rows) * 4 * sizeof(float)) return bad;
    raw = request.raw_input_contents(0).data();
  } else if (input.contents().fp32_contents_size() == rows * 4) {
    raw = reinterpret_cast<const char*>(input.contents().fp32_contents().data());
  } else {
    return bad;
  }
  reply->set_model_name(request.model_name());
  reply->set_model_version(request.model_version().empty() ? "1" : request.model_version());
  reply->set_id(request.id());
  auto* output = reply->add_outputs();
  output->set_name("Y");
  output->set_datatype("FP32");
  output->add_shape(rows);
  output->add_shape(3);
  std::string* y = reply->add_raw_output_contents();
  y->resize(size_t(rows) * 3 * sizeof(float));
  for (int64_t r = 0; r < rows; ++r) {
    float x[4];
    std::memcpy(x, raw + r * sizeof x, sizeof x);
    for (int o = 0; o < 3; ++o) {
      float v = B[o];
      for (int i = 0; i < 4; ++i) v += x[i] * W[o][i];
      std::memcpy(&(*y)[(r * 3 + o) * sizeof(float)], &v, sizeof v);
    }
  }
  return grpc::Status::OK;
}

// One unary call's life on the queue: requested, then answered, then freed. Each call that
// arrives requests the next one of its method first.
struct Tag {
  virtual ~Tag() = default;
  virtual void Proceed(bool ok) = 0;
};

template <class Service, class Request, class Reply>
class Call final : public Tag {
 public:
  using Start = void (Service::*)(grpc::ServerContext*, Request*, grpc::ServerAsyncResponseWriter<Reply>*,
                                  grpc::CompletionQueue*, grpc::ServerCompletionQueue*, void*);
  using Handle = grpc::Status (*)(const Request&, Reply*);

  Call(Service* service, grpc::ServerCompletionQueue* queue, Start start, Handle handle)
      : service_(service), queue_(queue), start_(start), handle_(handle), writer_(&context_) {
    (service_->*start_)(&context_, &request_, &writer_, queue_, queue_, this);
  }

  void Proceed(bool ok) override {
    if (answered_ || !ok) {
      delete this;
      return;
    }
    new Call(service_, queue_, start_, handle_);
    answered_ = true;
    writer_.Finish(reply_, handle_(request_, &reply_), this);
  }

 private:
  Service* service_;
  grpc::ServerCompletionQueue* queue_;
  Start start_;
  Handle handle_;
  grpc::ServerContext context_;
  Request request_;
  Reply reply_;
  grpc::ServerAsyncResponseWriter<Reply> writer_;
  bool answered_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  using Inference = inference::GRPCInferenceService::AsyncService;
  using Health = grpc::health::v1::Health::AsyncService;
  Inference inference;
  Health health;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::string(argc > 1 ? argv[1] : "0"), grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(&inference);
  builder.RegisterService(&health);
  auto queue = builder.AddCompletionQueue();
  auto server = builder.BuildAndStart();
  if (!server) return 1;
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  new Call<Inference, inference::ServerLiveRequest, inference::ServerLiveResponse>(
      &inference, queue.get(), &Inference::RequestServerLive, Live);
  new Call<Inference, inference::ModelInferRequest, inference::ModelInferResponse>(
      &inference, queue.get(), &Inference::RequestModelInfer, Infer);
  new Call<Health, grpc::health::v1::HealthCheckRequest, grpc::health::v1::HealthCheckResponse>(
      &health, queue.get(), &Health::RequestCheck, Check);
  void* tag;
  bool ok;
  while (queue->Next(&tag, &ok)) static_cast<Tag*>(tag)->Proceed(ok);
}
