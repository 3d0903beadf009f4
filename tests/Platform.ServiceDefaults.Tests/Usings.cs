global using Xunit;
global using Grpc.Core;
