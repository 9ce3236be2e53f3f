namespace Probes; public static class Placeholder {}
