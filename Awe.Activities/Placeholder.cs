namespace Awe.Activities; public static class Placeholder {}
