global using Grpc.Core;
global using Platform.IntegrationTests;
global using Xunit;
