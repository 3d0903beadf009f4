namespace Platform.Modeling.Errors;

/// <summary>A service this call depends on (e.g. the emulator role) cannot be reached (gRPC Unavailable); <see cref="PlatformException.Field"/> names it.</summary>
public sealed class DependencyUnavailableException(string dependency, string reason) : PlatformException(dependency, reason);
