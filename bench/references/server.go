// Reference server for bench/references.sh: grpc-go (Debian's golang-google-grpc-dev). Serves
// inference.GRPCInferenceService ServerLive and ModelInfer (a fixed linear model y = x·Wᵀ + b:
// FP32 input "X" [rows, 4] from raw_input_contents or contents.fp32_contents, FP32 output "Y"
// [rows, 3] in raw_output_contents) and grpc.health.v1.Health (grpc-go's own health server).
//   grpc-go-server [PORT]   (prints "listening on 127.0.0.1:PORT")
package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"net"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	pb "bench/inference"
)

// Keep equal to linear_model.py and server.cc.
var (
	w = [3][4]float32{{1, 2, 3, 4}, {0.5, -1, 0, 2}, {-1, 0.25, 1, 0}}
	b = [3]float32{0.1, 0.2, 0.3}
)

type server struct {
	pb.UnimplementedGRPCInferenceServiceServer
}

func (server) ServerLive(context.Context, *pb.ServerLiveRequest) (*pb.ServerLiveResponse, error) {
	return &pb.ServerLiveResponse{Live: true}, nil
}

func (server) ModelInfer(_ context.Context, request *pb.ModelInferRequest) (*pb.ModelInferResponse, error) {
	bad := status.Error(codes.InvalidArgument, "expected one FP32 input X of shape [rows, 4]")
	if len(request.Inputs) != 1 {
		return nil, bad
	}
	input := request.Inputs[0]
	if input.Datatype != "FP32" || len(input.Shape) != 2 || input.Shape[1] != 4 || input.Shape[0] < 0 {
		return nil, bad
	}
	rows := int(input.Shape[0])
	x := make([]float32, rows*4)
	switch {
	case len(request.RawInputContents) == 1 && len(request.RawInputContents[0]) == rows*16:
		for i := range x {
			x[i] = math.Float32frombits(binary.LittleEndian.Uint32(request.RawInputContents[0][4*i:]))
		}
	case len(request.RawInputContents) == 0 && input.Contents != nil && len(input.Contents.Fp32Contents) == rows*4:
		x = input.Contents.Fp32Contents
	default:
		return nil, bad
	}
	y := make([]byte, rows*12)
	for r := 0; r < rows; r++ {
		for o := 0; o < 3; o++ {
			v := b[o]
			for i := 0; i < 4; i++ {
				v += x[r*4+i] * w[o][i]
			}
			binary.LittleEndian.PutUint32(y[(r*3+o)*4:], math.Float32bits(v))
		}
	}
	version := request.ModelVersion
	if version == "" {
		version = "1"
	}
	return &pb.ModelInferResponse{
		ModelName: request.ModelName, ModelVersion: version, Id: request.Id,
		Outputs:           []*pb.ModelInferResponse_InferOutputTensor{{Name: "Y", Datatype: "FP32", Shape: []int64{int64(rows), 3}}},
		RawOutputContents: [][]byte{y},
	}, nil
}

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	pb.RegisterGRPCInferenceServiceServer(s, server{})
	healthpb.RegisterHealthServer(s, health.NewServer())
	fmt.Println("listening on", listener.Addr())
	if err := s.Serve(listener); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
