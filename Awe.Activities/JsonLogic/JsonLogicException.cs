namespace Awe.Activities.JsonLogic;

/// <summary>A JSONLogic rule could not be evaluated (unknown operator, bad arity, division by zero, ...).</summary>
public sealed class JsonLogicException : Exception
{
    public JsonLogicException(string message)
        : base(message)
    {
    }

    public JsonLogicException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
