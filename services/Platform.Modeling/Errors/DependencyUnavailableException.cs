namespace Platform.Modeling.Errors;

/// <summary>A service this call depends on (e.g. the emulator role) cannot be reached (gRPC Unavailable);
/// <see cref="PlatformException.Field"/> names it.</summary>
public sealed class DependencyUnavailableException(string dependency, string reason)
    : PlatformException(dependency, reason)
{
    /// <summary>The dependency is not a request field: nesting leaves it as it is.</summary>
    public override PlatformException Under(string parent) => this;
}
