namespace QuadraticFit; public static class Placeholder {}
