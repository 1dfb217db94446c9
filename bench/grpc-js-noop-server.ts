import * as grpc from "@grpc/grpc-js";

// The reference for the gRPC path's cost: an @grpc/grpc-js server answering the health Check
// with an empty SERVING response, and nothing else. Prints its port, then serves until killed.
const server = new grpc.Server();
const passThrough = (b: Buffer) => b;
const serving = Buffer.from([0x08, 0x01]); // HealthCheckResponse{status: SERVING}
server.addService(
  { check: { path: "/grpc.health.v1.Health/Check", requestStream: false, responseStream: false, requestSerialize: passThrough, requestDeserialize: passThrough, responseSerialize: passThrough, responseDeserialize: passThrough } },
  { check: (_call: unknown, callback: (e: null, r: Buffer) => void) => callback(null, serving) },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.log(JSON.stringify({ port, pid: process.pid }));
});
